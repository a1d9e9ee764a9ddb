#!/usr/bin/env python3
"""What the embedded store's commits write: log frames per commit and pages per table.

Reads the frame headers of a copy of SQLite's write-ahead log (switchboard.db-wal, copied while the
node runs under load) and names each page's table or index from a copy of the database file
(SQLite's dbstat virtual table, which the python3 on these machines has). It counts the complete
commits of the log's current generation only: the log restarts at the first commit after a checkpoint
that copied all of it, so a copy holds what was committed since then, a checkpoint round (200 ms) or
less.

    cp DATA/switchboard.db-wal /tmp/log.wal     # during the load, a few times
    cp DATA/switchboard.db /tmp/db.sqlite       # after the load
    python3 bench/tools/wal_pages.py /tmp/log.wal /tmp/db.sqlite

Frames per commit is what a commit appends to the log (4 KiB each). Distinct pages is what the
background checkpoint copies back into the database file and syncs in a round: one copy per page,
however many frames the log holds for it. A page freed and reused since the log was copied is named
after its table in the database copy.
"""
import collections
import sqlite3
import struct
import sys

WAL_HEADER = 32
FRAME_HEADER = 24


def commits_of(wal_path):
    """The page numbers each commit of the log's current generation wrote, commit by commit."""
    with open(wal_path, 'rb') as log:
        data = log.read()
    if len(data) < WAL_HEADER:
        return 4096, []
    _, _, page_size, _, salt1, salt2, _, _ = struct.unpack('>8I', data[:WAL_HEADER])
    commits, current, offset = [], [], WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(data):
        page, database_size, frame_salt1, frame_salt2 = struct.unpack('>4I', data[offset:offset + 16])
        if (frame_salt1, frame_salt2) != (salt1, salt2):
            break  # a frame of an earlier generation, not overwritten since the log restarted
        # (Frame checksums are not checked: a commit still being written when the log was copied has no
        # commit frame yet and is left out below.)
        current.append(page)
        if database_size:  # a commit's last frame records the database size
            commits.append(current)
            current = []
        offset += FRAME_HEADER + page_size
    return page_size, commits


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: wal_pages.py LOG_COPY DATABASE_COPY')
    page_size, commits = commits_of(sys.argv[1])
    database = sqlite3.connect('file:%s?mode=ro' % sys.argv[2], uri=True)
    owner = dict((page, name) for name, page in database.execute('SELECT name, pageno FROM dbstat'))
    frames = collections.Counter()
    pages = collections.defaultdict(set)
    for commit in commits:
        for page in commit:
            name = owner.get(page, '(not in the database copy)')
            frames[name] += 1
            pages[name].add(page)
    count = max(len(commits), 1)
    print('page size %d, commits %d, frames %d, frames per commit %.2f, distinct pages %d'
          % (page_size, len(commits), sum(frames.values()), sum(frames.values()) / count,
             len(set().union(*pages.values())) if pages else 0))
    for name, n in frames.most_common():
        print('  %-40s frames per commit %5.2f  distinct pages %4d' % (name, n / count, len(pages[name])))


if __name__ == '__main__':
    main()
