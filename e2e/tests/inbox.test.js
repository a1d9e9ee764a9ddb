// The page's inbox model (web/conversations.js) without a browser: own sends shown once whichever
// of receipt and inbox copy comes first, display order, unread counts, files on entries.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Inbox } from '../../switchboard-server/src/main/resources/web/conversations.js';

const message = (seq, from, to, clientId, body = `m${seq}`) =>
  ({ seq, id: 100 + seq, from, fromDevice: 'd', to, clientId, ts: 1_700_000_000_000 + seq, body });
const toBob = { kind: 'user', id: 'bob' };
const toAlice = { kind: 'user', id: 'alice' };

describe('Inbox', () => {
  test('an own send echoed by the inbox updates the sending entry instead of adding one', () => {
    const inbox = new Inbox('alice', {});
    const conversation = inbox.conversation('user', 'bob');
    const entry = inbox.addSending(conversation, 'c-1', 'hello');
    assert.equal(entry.status, 'sending');
    inbox.add(message(1, 'alice', toBob, 'c-1', 'hello'));
    assert.equal(conversation.entries.length, 1);
    assert.deepEqual([entry.status, entry.seq], ['sent', 1]);
    inbox.confirm(conversation, entry, { seq: 1, id: 101, ts: 1 });
    assert.equal(conversation.entries.length, 1);
  });

  test('a receipt before the inbox copy also leaves one entry', () => {
    const inbox = new Inbox('alice', {});
    const conversation = inbox.conversation('user', 'bob');
    const entry = inbox.addSending(conversation, 'c-1', 'hello');
    inbox.confirm(conversation, entry, { seq: 3, id: 103, ts: 3 });
    assert.equal(entry.status, 'sent');
    inbox.add(message(3, 'alice', toBob, 'c-1', 'hello'));
    assert.equal(conversation.entries.length, 1);
  });

  test('messages sort by seq with unsent ones last, in send order', () => {
    const inbox = new Inbox('alice', {});
    const conversation = inbox.conversation('user', 'bob');
    inbox.addSending(conversation, 'c-1', 'first unsent');
    inbox.addSending(conversation, 'c-2', 'second unsent');
    inbox.add(message(2, 'bob', toAlice, 'b-2'));
    inbox.add(message(1, 'bob', toAlice, 'b-1'));
    assert.deepEqual(inbox.entries(conversation).map(e => e.body), ['m1', 'm2', 'first unsent', 'second unsent']);
    assert.equal(inbox.countSending(), 2);
  });

  test('unread counts messages from others above the read mark; own messages never count', () => {
    const marks = { 'user:bob': 2 };
    const inbox = new Inbox('alice', marks);
    for (const seq of [1, 2, 3, 4]) inbox.add(message(seq, 'bob', toAlice, `b-${seq}`));
    inbox.add(message(5, 'alice', toBob, 'a-5'));
    const conversation = inbox.get('user:bob');
    assert.equal(inbox.unread(conversation), 2);
    assert.equal(inbox.markRead(conversation), true);
    assert.equal(marks['user:bob'], 5);
    assert.equal(inbox.unread(conversation), 0);
    assert.equal(inbox.markRead(conversation), false);
  });

  test('a group message belongs to the group, a 1:1 message to the other user', () => {
    const inbox = new Inbox('alice', {});
    inbox.add(message(1, 'bob', { kind: 'group', id: 'team' }, 'b-1'));
    inbox.add(message(2, 'alice', toBob, 'a-2'));
    inbox.add(message(3, 'carol', toAlice, 'c-3'));
    assert.deepEqual([...inbox.conversations.keys()].sort(), ['group:team', 'user:bob', 'user:carol']);
    assert.deepEqual(inbox.partners().sort(), ['bob', 'carol']);
    assert.equal(inbox.lastSeq, 3);
  });

  test('a message\'s file is kept on its entry, an own send\'s too when the inbox copy comes first', () => {
    const file = { id: 'f-1', name: 'plan.pdf', size: 2048, contentType: 'application/pdf' };
    const inbox = new Inbox('alice', {});
    const conversation = inbox.conversation('user', 'bob');
    const entry = inbox.addSending(conversation, 'c-1', null, file);
    inbox.add({ ...message(1, 'alice', toBob, 'c-1', null), file });
    inbox.add({ ...message(2, 'bob', toAlice, 'b-2', null), file });
    inbox.add(message(3, 'bob', toAlice, 'b-3'));
    assert.deepEqual(inbox.entries(conversation).map(e => e.file?.id ?? null), ['f-1', 'f-1', null]);
    assert.equal(entry.status, 'sent');
    assert.equal(inbox.addSending(conversation, 'c-4', 'text').file, null, 'no file unless given');
  });
});
