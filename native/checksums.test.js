'use strict';
// native/checksums.txt as the shim reads it: one digest per binary.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const shim = require('./shim');

const BINARY = 'aws-oidc-go_linux_amd64';

function release(t, checksums) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-oidc-go-checksums-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'VERSION'), 'v1.2.3\n');
  fs.writeFileSync(path.join(dir, 'checksums.txt'), checksums);
  return dir;
}

test('checksums.txt naming one binary with two digests is refused, naming the binary and both digests', (t) => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  for (const [first, second] of [[a, b], [b, a]]) {
    const dir = release(t, `${first}  ${BINARY}\n${'c'.repeat(64)}  aws-oidc-go_darwin_arm64\n${second} *${BINARY}\n`);
    assert.throws(() => shim.readRelease(dir), (e) => {
      assert.ok(e instanceof shim.ShimError, e.stack);
      assert.match(e.message, new RegExp(`names ${BINARY} twice with different digests`));
      assert.match(e.message, new RegExp(`sha256 ${first} and sha256 ${second}`));
      return true;
    });
  }
});

test('checksums.txt naming one binary twice with the same digest is accepted, as sha256sum -c accepts it', (t) => {
  const a = 'a'.repeat(64);
  const dir = release(t, `${a}  ${BINARY}\n${a} *${BINARY}\n`);
  assert.deepEqual(shim.readRelease(dir), { tag: 'v1.2.3', digests: { [BINARY]: a } });
});

test('the conflicting file fails the step before anything runs', async (t) => {
  const dir = release(t, `${'a'.repeat(64)}  ${BINARY}\n${'b'.repeat(64)}  ${BINARY}\n`);
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-oidc-go-checksums-temp-'));
  t.after(() => fs.rmSync(temp, { recursive: true, force: true }));
  let printed = '';
  const code = await shim.run('main', {
    actionDir: dir, platform: 'linux', arch: 'x64', env: { RUNNER_TEMP: temp, AWS_OIDC_GO_DOWNLOAD_URL: 'https://127.0.0.1:9/none' },
    out: { write: (s) => { printed += s; } },
  });
  assert.equal(code, 1);
  assert.match(printed, new RegExp(`^::error::aws-oidc-go/native: native/checksums.txt names ${BINARY} twice with different digests`, 'm'));
  assert.deepEqual(fs.readdirSync(temp), []);
});
