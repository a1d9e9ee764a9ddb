// The chat page in a real browser against the real server jar: 1:1 and group chat between
// separate browser contexts, offline delivery and unread counts, a second tab of the same device,
// a server restart during a send, token sign-in, and the screenshots for docs/images.
// The tests run in order and share the server and the users. Run: cd e2e && npm ci && npm test
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  PHONE, browserAvailability, conversationItem, createGroup, expectAttribute, expectMessageCount,
  expectText, joinGroup, launchBrowser, messagesWithText, openAs, openConversation, openPage, sendText, startChat,
  waitForConnection,
} from '../lib/browser.js';
import { JWT_SECRET, REPO, ServerProcess, checkJar } from '../lib/server.js';
import { mintToken } from '../lib/token.js';

const { skip } = browserAvailability();

// Each test carries the skip, so a run without chromium counts them as skipped.
const browserTest = (name, fn) => test(name, { skip }, fn);

describe('web chat page', { timeout: 90_000 }, () => {
  let dataDir;
  let server;
  let browser;
  const contexts = [];

  /** Signs `userId` in from a new browser context and remembers it for clean-up. */
  async function user(userId, options) {
    const opened = await openAs(browser, server.url, userId, options);
    contexts.push(opened.context);
    return opened;
  }

  function assertNoPageProblems(...pages) {
    for (const page of pages) {
      const problems = page.problems.slice(0, 5);
      assert.deepEqual(problems, [], `errors or duplicate deliveries logged by the page (${page.problems.length} in all)`);
    }
  }

  before(async () => {
    if (skip) return;
    checkJar();
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'));
    [server, browser] = await Promise.all([ServerProcess.start(dataDir), launchBrowser()]);
  });

  after(async () => {
    await Promise.allSettled(contexts.map(context => context.close()));
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  let alice;
  let bob;

  browserTest('alice and bob chat 1:1 both ways and in a group', async () => {
    alice = await user('alice');
    bob = await user('bob');

    await startChat(alice.page, 'bob');
    const first = await sendText(alice.page, 'Hi Bob!');
    await expectAttribute(first, 'data-state', 'sent');

    await conversationItem(bob.page, 'user', 'alice').waitFor();
    await openConversation(bob.page, 'user', 'alice');
    await expectMessageCount(bob.page, 'Hi Bob!', 1);
    await sendText(bob.page, 'Hello Alice, <b>not bold</b> & fine');
    await expectMessageCount(alice.page, 'Hello Alice, <b>not bold</b> & fine', 1);
    assert.equal(await alice.page.locator('.message-body b').count(), 0, 'user content must not become markup');

    // Presence: both are online, so each sees the other's dot green.
    await expectAttribute(conversationItem(alice.page, 'user', 'bob').getByTestId('presence'), 'data-online', 'true');

    await createGroup(alice.page, { groupId: 'team', name: 'The team', members: ['bob'] });
    await sendText(alice.page, 'Hello team');
    await conversationItem(bob.page, 'group', 'team').waitFor();
    await openConversation(bob.page, 'group', 'team');
    await expectMessageCount(bob.page, 'Hello team', 1);
    await expectText(bob.page, '[data-testid="chat-title"]', /^The team$/);
    await sendText(bob.page, 'Hi all from bob');
    await expectMessageCount(alice.page, 'Hi all from bob', 1);

    // A third user joins by id, gets the messages sent after joining, and leaves again.
    const carol = await user('carol');
    await joinGroup(carol.page, 'team');
    await expectText(carol.page, '[data-testid="chat-sub"]', /3 members/);
    await sendText(alice.page, 'Welcome, Carol');
    await expectMessageCount(carol.page, 'Welcome, Carol', 1);
    await expectMessageCount(bob.page, 'Welcome, Carol', 1);
    await carol.page.getByTestId('group-leave').click();
    await carol.page.getByTestId('group-rejoin').waitFor();
    assert.equal(await carol.page.getByTestId('composer-input').isDisabled(), true, 'composer disabled after leaving');

    assertNoPageProblems(alice.page, bob.page, carol.page);
  });

  browserTest('messages sent while bob is offline are there when he signs in again, counted as unread', async () => {
    await openConversation(alice.page, 'user', 'bob');
    await bob.context.close();
    await expectAttribute(conversationItem(alice.page, 'user', 'bob').getByTestId('presence'), 'data-online', 'false', 15_000);

    const offline = ['Are you there?', 'Lunch at 12:30?', 'I booked the table'];
    for (const text of offline) await sendText(alice.page, text);
    for (const text of offline) await expectAttribute(messagesWithText(alice.page, text), 'data-state', 'sent');

    bob = await user('bob');
    // A new context has no last-read marks: every message from alice in the 1:1 is unread.
    const item = conversationItem(bob.page, 'user', 'alice');
    await expectText(bob.page, '[data-conversation="user:alice"] [data-testid="unread-count"]', /^4$/);
    await expectText(bob.page, '[data-conversation="group:team"] [data-testid="unread-count"]', /^2$/);
    await openConversation(bob.page, 'user', 'alice');
    for (const text of offline) await expectMessageCount(bob.page, text, 1);
    const bodies = await bob.page.getByTestId('message-body').allTextContents();
    assert.deepEqual(bodies.slice(-3), offline, 'offline messages in send order');
    await item.getByTestId('unread-count').waitFor({ state: 'detached' });

    // Reload without the conversation open: history comes back from the server, the read mark
    // and the device id from localStorage.
    const deviceId = await bob.page.evaluate(() => localStorage.getItem('switchboard.device.bob'));
    await bob.page.goto(server.url);
    await waitForConnection(bob.page, 'connected');
    await conversationItem(bob.page, 'group', 'team').getByTestId('unread-count').waitFor();
    assert.equal(await item.getByTestId('unread-count').count(), 0, 'read 1:1 conversation has no unread badge after reload');
    assert.equal(await bob.page.evaluate(() => localStorage.getItem('switchboard.device.bob')), deviceId, 'same device after reload');
    await openConversation(bob.page, 'user', 'alice');
    await expectMessageCount(bob.page, 'I booked the table', 1);
    await expectMessageCount(bob.page, 'Hi Bob!', 1);

    assertNoPageProblems(alice.page, bob.page);
  });

  browserTest('a second tab of the same user takes the device over; "Use here" takes it back', async () => {
    const second = await alice.context.newPage();
    await second.goto(server.url);
    await waitForConnection(second, 'connected');   // signed in from localStorage, same device id
    await waitForConnection(alice.page, 'offline');
    await expectText(alice.page, '[data-testid="connection-hint"]', /another tab/);

    await alice.page.getByTestId('connection-action').click();
    await waitForConnection(alice.page, 'connected');
    await waitForConnection(second, 'offline');
    await second.close();
    await openConversation(alice.page, 'user', 'bob');
    await expectMessageCount(alice.page, 'I booked the table', 1);
    await sendText(alice.page, 'Still here');
    await expectMessageCount(bob.page, 'Still here', 1);
    assertNoPageProblems(alice.page, bob.page);
  });

  browserTest('a message typed during a server restart is sent after reconnect, exactly once', async () => {
    await openConversation(alice.page, 'user', 'bob');
    await server.stop();
    await expectText(alice.page, '[data-testid="connection-state"]', /reconnecting/, 15_000);

    const text = 'Sent while the server was down';
    const pending = await sendText(alice.page, text);
    await expectAttribute(pending, 'data-state', 'sending');
    assert.match(await pending.getByTestId('message-status').textContent(), /sending/);

    await server.startAgain();
    await waitForConnection(alice.page, 'connected', 40_000);
    await expectAttribute(pending, 'data-state', 'sent', 15_000);
    assert.notEqual(await pending.getAttribute('data-seq'), '', 'sent message carries its seq');

    await waitForConnection(bob.page, 'connected', 40_000);
    await expectMessageCount(bob.page, text, 1, 15_000);
    // Anything resent twice would be stored before a later message; once that later message is
    // on both pages, a duplicate would be too.
    await sendText(alice.page, 'Back online');
    await expectMessageCount(bob.page, 'Back online', 1);
    await expectMessageCount(alice.page, text, 1);
    await expectMessageCount(bob.page, text, 1);

    assertNoPageProblems(alice.page, bob.page);
  });

  browserTest('sign in with a token, survive a reload, sign out', async () => {
    const { context, page } = await openPage(browser, server.url);
    contexts.push(context);
    await page.getByText('Sign in with a token instead').click();
    await page.getByTestId('signin-token').fill(mintToken(JWT_SECRET, 'dana'));
    await page.getByTestId('signin-submit').click();
    await waitForConnection(page, 'connected');
    await expectText(page, '[data-testid="me"]', /^dana$/);
    await startChat(page, 'alice');
    await sendText(page, 'Hi Alice, Dana here (signed in with a token)');
    await conversationItem(alice.page, 'user', 'dana').waitFor();

    await page.reload();
    await waitForConnection(page, 'connected');
    await expectMessageCount(page, 'Hi Alice, Dana here (signed in with a token)', 1);

    await page.getByTestId('signout').click();
    await page.getByTestId('signin').waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('switchboard.user')), null, 'signed-in user forgotten');
    await page.reload();
    await page.getByTestId('signin-user').waitFor();
    assertNoPageProblems(page);
  });

  browserTest('screenshots of a realistic conversation at desktop and phone width', async () => {
    // docs/images only when asked (npm run screenshots), so a plain test run leaves the tree clean.
    const images = process.env.UPDATE_DOCS_IMAGES === '1' ? join(REPO, 'docs', 'images') : join(REPO, 'e2e', 'screenshots');
    mkdirSync(images, { recursive: true });
    const maya = await user('maya');
    const leo = await user('leo');
    const sam = await user('sam');

    await createGroup(maya.page, { groupId: 'weekend-trip', name: 'Weekend trip', members: ['leo', 'sam'] });
    await sendText(maya.page, 'Train tickets are booked for Saturday 8:40');
    await startChat(maya.page, 'leo');
    await openConversation(sam.page, 'group', 'weekend-trip');
    await sendText(sam.page, 'Perfect, I will bring snacks');
    await expectText(maya.page, '[data-conversation="group:weekend-trip"] [data-testid="unread-count"]', /^1$/);
    await sendText(maya.page, 'Hi Leo!');
    await conversationItem(leo.page, 'user', 'maya').waitFor();
    const script = [
      [maya, 'Hey Leo! Are we still on for the design review tomorrow?'],
      [leo, 'Yes, 10:00 in the small room. I will bring the new mock-ups.'],
      [leo, 'Can you send me the latest numbers before that?'],
      [maya, 'Sure, I will put them in the shared folder tonight.'],
      [leo, 'Great, thanks!'],
      [maya, 'Also: the client asked whether we can move the launch to next Friday.\nI said we would check with the team.'],
    ];
    await openConversation(leo.page, 'user', 'maya');
    for (const [who, text] of script) {
      const message = await sendText(who.page, text);
      await expectAttribute(message, 'data-state', 'sent');
      await expectMessageCount(who === maya ? leo.page : maya.page, text, 1);
    }
    await expectAttribute(conversationItem(maya.page, 'user', 'leo').getByTestId('presence'), 'data-online', 'true');
    await maya.page.getByTestId('composer-input').fill('Friday works for me');
    await maya.page.mouse.move(900, 700);
    await maya.page.screenshot({ path: join(images, 'chat-desktop.png') });

    const phone = await user('leo', { viewport: PHONE, deviceScaleFactor: 2 });
    await openConversation(phone.page, 'user', 'maya');
    await expectMessageCount(phone.page, 'Great, thanks!', 1);
    // At phone width the list and the chat are two panes, one shown at a time.
    assert.equal(await phone.page.getByTestId('conversation-list').isVisible(), false, 'list hidden behind the chat');
    await phone.page.screenshot({ path: join(images, 'chat-phone.png') });
    await phone.page.getByTestId('back').click();
    await phone.page.getByTestId('conversation-list').waitFor();
    assert.equal(await phone.page.getByTestId('chat-pane').isVisible(), false, 'chat hidden behind the list');
    await phone.page.screenshot({ path: join(images, 'chat-phone-list.png') });

    assertNoPageProblems(maya.page, leo.page, sam.page, phone.page);
  });
});
