// The page's error texts (web/errors.js) without a browser: upload codes are worded only for uploads,
// a server without files is quoted, downloads are worded by HTTP status.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SwitchboardError } from '../../clients/js/src/switchboard.js';
import {
  describeDownloadError, describeError, describeUploadError,
} from '../../switchboard-server/src/main/resources/web/errors.js';

/** An error reply as the client makes it: "code: the server's message". */
const refusal = (code, message) => new SwitchboardError(`${code}: ${message}`, { code });

describe('error texts', () => {
  test('unknown_type means "no files" only for an upload; other requests show the server\'s message', () => {
    const unknown = refusal('unknown_type', 'unknown message type presence.query');
    assert.equal(describeUploadError(unknown), 'This server does not take files.');
    assert.equal(describeError(unknown), 'unknown_type: unknown message type presence.query');
  });

  test('a server that accepts no files says so in its own words; a file too large for it gets the page\'s text', () => {
    assert.equal(describeUploadError(refusal('file_too_large', 'this server accepts no files')),
      'This server accepts no files.');
    assert.equal(describeUploadError(refusal('file_too_large', 'the file is 20 bytes, the limit is 10')),
      'That file is larger than this server takes.');
  });

  test('upload_limit says how a place frees up, not to wait for an upload to finish', () => {
    const text = describeUploadError(refusal('upload_limit', 'too many uploads'));
    assert.match(text, /cancelled one frees its place/);
    assert.match(text, /expire/);
    assert.doesNotMatch(text, /wait for one to finish/);
  });

  test('codes every request shares are worded for uploads too; anything else shows its message', () => {
    assert.equal(describeUploadError(refusal('file_not_found', 'no such upload')),
      'The file is gone from the server (an unfinished upload expires).');
    assert.equal(describeUploadError(new TypeError('name must be …')), 'name must be …');
    assert.equal(describeError(refusal('not_group_member', 'x')), 'You are not a member of that group.');
    assert.equal(describeError(null), 'Something went wrong.');
  });

  test('downloads are worded by HTTP status', () => {
    const refused = (status) => new SwitchboardError(`download of f-1 answered HTTP ${status}`, { httpStatus: status });
    assert.equal(describeDownloadError(refused(404)), 'The server has no such file for you.');
    assert.match(describeDownloadError(refused(401)), /refused your token/);
    assert.equal(describeDownloadError(refused(503)), 'download of f-1 answered HTTP 503');
  });
});
