'use strict';
// The temp-directory rule (checkTempBase) and the directory presets: which
// RUNNER_TEMP the shim makes its private directory in, and a second user's
// swap of that directory between the copy and the exec, through the shim's
// afterCopy seam (no race: the swap runs, to completion, inside the window).
//
// Owners other than root need chown, and the second user is uid 65534 via
// setpriv: those tests run as root (as they do here and in CI). Elsewhere
// they skip, saying why; with CI=true they fail instead.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const shim = require('./shim');

const NOBODY = 65534;
const TAG = 'v9.8.7';
const BINARY = 'aws-oidc-go_linux_amd64';
const isRoot = typeof process.geteuid === 'function' && process.geteuid() === 0;
const posix = process.platform !== 'win32';

/** needsRoot: the skip reason for a test that chowns, or false (CI=true: never skips). */
function needsRoot() {
  if (!posix) return 'owners and modes: POSIX only (Windows: see the win32 rule test)';
  if (isRoot || process.env.CI === 'true') return false;
  return 'needs root to give directories to another user (chown) and to act as uid 65534 (setpriv)';
}

/** needsSecondUser: needsRoot, and setpriv to act as uid 65534. */
function needsSecondUser() {
  const r = needsRoot();
  if (r) return r;
  if (process.env.CI === 'true') return false;
  return spawnSync('setpriv', ['--version']).error ? 'needs setpriv (util-linux) to act as uid 65534' : false;
}

/** root: a fresh directory others can traverse (0755), removed after the test. */
function root(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-oidc-go-tempdir-test-'));
  fs.chmodSync(d, 0o755);
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return fs.realpathSync(d);
}

/** dir makes name under parent with this mode and owner (chmod after mkdir: umask). */
function dir(parent, name, mode, uid = process.geteuid()) {
  const d = path.join(parent, name);
  fs.mkdirSync(d);
  fs.chmodSync(d, mode);
  if (uid !== process.geteuid()) fs.chownSync(d, uid, uid);
  return d;
}

/** asNobody runs a shell script as uid/gid 65534 with no supplementary groups. */
function asNobody(script, ...args) {
  const r = spawnSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', 'sh', '-c', script, 'sh', ...args],
    { encoding: 'utf8', timeout: 10000 });
  if (r.error) throw r.error;
  return { ok: r.status === 0, stderr: r.stderr };
}

// The second user's swap of one directory on the way to the binary: rename
// $1 away, make one of their own under its name down to the private
// directory ($1/$2), with their program under the binary's name ($3).
const SWAP = 'mv "$1" "$1.away" && mkdir -p "$1/$2" && printf \'#!/bin/sh\\necho evil > "$SHIM_TEST_OUT"\\n\' > "$1/$2/$3" && chmod -R 755 "$1"';

/**
 * swapAny has the second user try SWAP on the private directory, then on
 * each directory above it up to (not including) top, and stops at the first
 * that works: { ok, at, tried } (tried: the stderr of each failed attempt).
 */
function swapAny(privateDir, top) {
  const tried = [];
  for (let d = privateDir; d !== top && path.dirname(d) !== d; d = path.dirname(d)) {
    const r = asNobody(SWAP, d, path.relative(d, privateDir) || '.', BINARY);
    if (r.ok) return { ok: true, at: d, tried };
    tried.push(r.stderr.trim());
  }
  return { ok: false, tried };
}

test('the presets: one vocabulary, their bits, and what each refuses', () => {
  assert.deepEqual(Object.keys(shim.PRESETS), ['private', 'closed', 'stickyParent']);
  assert.deepEqual(shim.PRESETS.private, { name: 'private', open: 0o077, sticky: false, trusted: false });
  assert.deepEqual(shim.PRESETS.closed, { name: 'closed', open: 0o022, sticky: false, trusted: true });
  assert.deepEqual(shim.PRESETS.stickyParent, { name: 'sticky-parent', open: 0o022, sticky: true, trusted: true });
  // The rule on stat-like records, so it runs on every platform.
  const st = (mode, uid, kind = 'dir') => ({ mode, uid, isSymbolicLink: () => kind === 'link', isDirectory: () => kind === 'dir' });
  const owners = [1001, 0];
  const cases = [
    // [preset, mode, uid, kind, null or a pattern]
    ['private', 0o700, 1001, 'dir', null],
    ['private', 0o700, 0, 'dir', /owned by uid 0, not by uid 1001$/],
    ['private', 0o750, 1001, 'dir', /open to group or others \(mode 750\)/],
    ['private', 0o701, 1001, 'dir', /open to group or others \(mode 701\)/],
    ['closed', 0o755, 1001, 'dir', null],
    ['closed', 0o755, 0, 'dir', null],
    ['closed', 0o755, 1002, 'dir', /owned by uid 1002, not by uid 1001 or uid 0/],
    ['closed', 0o775, 1001, 'dir', /writable by group or others \(mode 775\)/],
    ['closed', 0o1777, 0, 'dir', /writable by group or others \(mode 1777\)/],
    ['stickyParent', 0o1777, 0, 'dir', null],
    ['stickyParent', 0o1777, 1002, 'dir', /owned by uid 1002/],
    ['stickyParent', 0o777, 0, 'dir', /writable by group or others without the sticky bit \(mode 777\)/],
    ['stickyParent', 0o757, 0, 'dir', /without the sticky bit \(mode 757\)/],
    ['stickyParent', 0o755, 1001, 'link', /is a symbolic link or junction/],
    ['stickyParent', 0o755, 1001, 'file', /is not a directory/],
  ];
  for (const [preset, mode, uid, kind, want] of cases) {
    const got = shim.dirProblem('/d', st(mode, uid, kind), shim.PRESETS[preset], owners);
    const label = `${preset} ${mode.toString(8)} uid ${uid} ${kind}`;
    if (want === null) assert.equal(got, null, label);
    else assert.match(got || '', want, label);
  }
  // No numeric owners (Windows): the link and directory checks alone.
  assert.equal(shim.dirProblem('/d', st(0o777, 0), shim.PRESETS.private, null), null);
  assert.match(shim.dirProblem('/d', st(0o777, 0, 'link'), shim.PRESETS.private, null), /symbolic link or junction/);
});

test('trusted owners: this user and root; as root, also GITHUB_WORKSPACE\'s owner', { skip: !posix && 'no numeric owners on Windows' }, (t) => {
  const uid = process.geteuid();
  assert.deepEqual(shim.trustedOwners({}), uid === 0 ? [0] : [uid, 0]);
  assert.equal(shim.trustedOwners({}, 'win32'), null);
  if (uid !== 0) return;
  const r = root(t);
  const ws = dir(r, 'workspace', 0o755, NOBODY);
  assert.deepEqual(shim.trustedOwners({ GITHUB_WORKSPACE: ws }), [0, NOBODY]);
  assert.deepEqual(shim.trustedOwners({ GITHUB_WORKSPACE: path.join(r, 'missing') }), [0]);
});

/**
 * The RUNNER_TEMP setups the rule is tested on: each makes its RUNNER_TEMP
 * under r and returns { temp, env, accept, bad } — whether the shim must
 * accept it, else the directory the refusal must name.
 */
const SETUPS = [
  ['this user\'s, 0755 (a hosted runner\'s _temp)', (r) => ({ temp: dir(r, 't', 0o755), accept: true })],
  ['root\'s, 1777 (act\'s /tmp)', (r) => ({ temp: dir(r, 't', 0o1777), accept: true })],
  ['root\'s, 0777, not sticky', (r) => { const temp = dir(r, 't', 0o777); return { temp, bad: temp, why: /writable by group or others without the sticky bit \(mode 777\)/ }; }],
  ['root\'s, 0775, not sticky, group 65534', (r) => {
    const temp = dir(r, 't', 0o775);
    fs.chownSync(temp, 0, NOBODY);
    return { temp, bad: temp, why: /writable by group or others without the sticky bit \(mode 775\)/ };
  }],
  ['another user\'s, 0755', (r) => { const temp = dir(r, 't', 0o755, NOBODY); return { temp, bad: temp, why: new RegExp(`owned by uid ${NOBODY}, not by uid 0`) }; }],
  ['another user\'s, 1777', (r) => { const temp = dir(r, 't', 0o1777, NOBODY); return { temp, bad: temp, why: new RegExp(`owned by uid ${NOBODY}`) }; }],
  ['root\'s, 0755, in a 0777 directory', (r) => { const up = dir(r, 'up', 0o777); return { temp: dir(up, 't', 0o755), bad: up, why: /without the sticky bit \(mode 777\)/ }; }],
  ['root\'s, 0755, in another user\'s directory', (r) => { const up = dir(r, 'up', 0o755, NOBODY); return { temp: dir(up, 't', 0o755), bad: up, why: /owned by uid 65534/ }; }],
  ['root\'s, 0755, in root\'s 1777 directory', (r) => { const up = dir(r, 'up', 0o1777); return { temp: dir(up, 't', 0o755), accept: true }; }],
  ['the workspace owner\'s, 0755, running as root (a container job)', (r) => {
    const ws = dir(r, 'ws', 0o755, NOBODY);
    return { temp: dir(r, 't', 0o755, NOBODY), env: { GITHUB_WORKSPACE: ws }, accept: true };
  }],
  ['a link to an accepted directory, from a 0777 one (the real path is checked)', (r) => {
    const real = dir(r, 'real', 0o755);
    const ww = dir(r, 'ww', 0o777);
    fs.symlinkSync(real, path.join(ww, 'link'));
    return { temp: path.join(ww, 'link'), accept: true, real };
  }],
];

test('the rule on real directories: accepted RUNNER_TEMPs and refusals naming the directory', { skip: needsRoot() }, (t) => {
  assert.ok(isRoot, 'CI=true: these tests need root (chown)');
  for (const [name, make] of SETUPS) {
    const r = root(t);
    const s = make(r);
    const env = { RUNNER_TEMP: s.temp, ...s.env };
    if (s.accept) {
      assert.equal(shim.checkTempBase(s.temp, env), s.real || s.temp, name);
    } else {
      assert.throws(() => shim.checkTempBase(s.temp, env), (e) => {
        assert.ok(e instanceof shim.ShimError, `${name}: ${e.stack}`);
        assert.match(e.message, new RegExp(`^aws-oidc-go/native: refusing RUNNER_TEMP ${s.temp}: ${s.bad} `), name);
        assert.match(e.message, s.why, name);
        assert.match(e.message, /Another user could swap the private copy/, name);
        return true;
      }, name);
    }
  }
});

test('the rule matches the kernel: uid 65534 can rename a fresh private directory away exactly where the shim refuses', { skip: needsSecondUser() }, (t) => {
  for (const [name, make] of SETUPS) {
    const r = root(t);
    const s = make(r);
    if (s.env && s.env.GITHUB_WORKSPACE) continue; // trusted by the rule: that owner runs the job
    const fresh = fs.mkdtempSync(path.join(fs.realpathSync(s.temp), 'aws-oidc-go-native-'));
    const swap = swapAny(fresh, r);
    assert.equal(swap.ok, !s.accept, `${name}: the second user's swap ${swap.ok ? `of ${swap.at} succeeded` : `failed (${swap.tried.join('; ')})`}, ` +
      `and the shim ${s.accept ? 'accepts' : 'refuses'} it`);
    if (swap.ok) assert.equal(swap.at, s.bad === s.temp ? fresh : path.join(s.bad, path.relative(s.bad, fresh).split(path.sep)[0]), name);
  }
});

test('win32 rule on POSIX directories: links along RUNNER_TEMP refused, owners and modes not seen', { skip: !posix && 'makes a POSIX symlink to stand for a junction (the Windows test below makes a real one)' }, (t) => {
  const r = root(t);
  const real = dir(r, 'real', 0o777);
  dir(real, 'x', 0o755);
  fs.symlinkSync(real, path.join(r, 'link'));
  const env = {};
  assert.equal(shim.checkTempBase(real, env, { platform: 'win32', owners: null }), real);
  assert.throws(() => shim.checkTempBase(path.join(r, 'link', 'x'), env, { platform: 'win32', owners: null }),
    new RegExp(`refusing RUNNER_TEMP .*: ${escapeRe(path.join(r, 'link'))} is a symbolic link or junction`));
});

/** underWine: whether this Windows node runs under Wine (its prefix has winecfg.exe). */
function underWine() {
  return !posix && fs.existsSync(path.join(process.env.SystemRoot || 'C:\\windows', 'system32', 'winecfg.exe'));
}

test('Windows: RUNNER_TEMP as given (no owners, no modes) is accepted, and the private copy is made in it', { skip: posix && 'Windows only (the POSIX rule: the tests above)' }, (t) => {
  const r = root(t);
  const temp = path.join(r, 'runner temp'); // a space, as in a self-hosted runner's user name
  fs.mkdirSync(temp);
  assert.equal(shim.trustedOwners({}), null);
  assert.equal(shim.checkTempBase(temp, {}), temp);
  const copy = shim.privateCopy(Buffer.from('bytes'), 'aws-oidc-go_windows_amd64.exe', { RUNNER_TEMP: temp });
  assert.equal(path.dirname(copy.dir), temp);
  assert.match(path.basename(copy.dir), /^aws-oidc-go-native-/);
  assert.deepEqual(fs.readFileSync(copy.file), Buffer.from('bytes'));
  assert.equal(path.basename(copy.file), 'aws-oidc-go_windows_amd64.exe');
});

test('Windows: a junction along RUNNER_TEMP is refused, naming it', { skip: posix && 'Windows only: makes a real junction' }, (t) => {
  const r = root(t);
  const real = path.join(r, 'real');
  fs.mkdirSync(path.join(real, 'x'), { recursive: true });
  const link = path.join(r, 'junction');
  try {
    fs.symlinkSync(real, link, 'junction');
  } catch (e) {
    if (underWine()) return t.skip(`Wine 10 makes no junctions (${e.code}): the refusal is tested on POSIX links above`);
    throw e;
  }
  if (!fs.lstatSync(link).isSymbolicLink()) {
    if (underWine()) return t.skip('Wine made no junction: the refusal is tested on POSIX links above');
    assert.fail(`${link}: lstat does not report the junction as a link`);
  }
  assert.equal(shim.checkTempBase(path.join(real, 'x'), {}), path.join(real, 'x'));
  assert.throws(() => shim.checkTempBase(path.join(link, 'x'), {}),
    new RegExp(`refusing RUNNER_TEMP .*: ${escapeRe(link)} is a symbolic link or junction`));
});

function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

/** release: an action directory with a release and a tool cache holding the binary (a cache hit: no download). */
function release(r, binary) {
  const action = dir(r, 'action', 0o755);
  fs.writeFileSync(path.join(action, 'VERSION'), `${TAG}\n`);
  fs.writeFileSync(path.join(action, 'checksums.txt'), `${shim.sha256(binary)}  ${BINARY}\n`);
  const cache = shim.cachePaths(dir(r, 'cache', 0o755), TAG, shim.goPlatform('linux', 'x64'));
  for (const d of cache.dirs) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(cache.file, binary, { mode: 0o755 });
  fs.writeFileSync(cache.marker, '');
  return { action, toolCache: path.dirname(cache.dirs[0]) };
}

const GOOD = Buffer.from('#!/bin/sh\necho verified > "$SHIM_TEST_OUT"\n');

/** runWithSwap runs the main step with the second user's swap in the afterCopy seam; returns what happened. */
async function runWithSwap(t, s, r) {
  const rel = release(r, GOOD);
  const out = path.join(r, 'ran.txt');
  fs.writeFileSync(out, '');
  fs.chmodSync(out, 0o666);
  const seam = [];
  shim.hooks.afterCopy = (copy) => { seam.push({ dir: copy.dir, swap: swapAny(copy.dir, r) }); };
  t.after(() => { shim.hooks.afterCopy = null; });
  let printed = '';
  const code = await shim.run('main', {
    actionDir: rel.action, platform: 'linux', arch: 'x64',
    env: { PATH: process.env.PATH, RUNNER_TEMP: s.temp, RUNNER_TOOL_CACHE: rel.toolCache, SHIM_TEST_OUT: out, ...s.env },
    out: { write: (x) => { printed += x; } },
  });
  shim.hooks.afterCopy = null;
  return { code, printed, seam, ran: fs.readFileSync(out, 'utf8').trim() };
}

test('a second user\'s swap through the seam: refused where RUNNER_TEMP lets them, impossible where it does not', { skip: needsSecondUser() || (process.arch !== 'x64' && 'the release names the linux/x64 binary') }, async (t) => {
  for (const [name, make] of SETUPS) {
    const r = root(t);
    const s = make(r);
    const got = await runWithSwap(t, s, r);
    assert.notEqual(got.ran, 'evil', `${name}: the second user's program ran (swapped ${got.seam.map((x) => x.swap.at).join(', ')})`);
    if (!s.accept) {
      // Refused before any copy is made: the seam is never reached, nothing runs.
      assert.equal(got.code, 1, `${name}: ${got.printed}`);
      assert.match(got.printed, new RegExp(`^::error::aws-oidc-go/native: refusing RUNNER_TEMP ${s.temp}: ${s.bad} `, 'm'), name);
      assert.deepEqual(got.seam, [], name);
      assert.equal(got.ran, '', `${name}: something ran`);
      assert.deepEqual(fs.readdirSync(s.temp), [], `${name}: a private directory was made`);
    } else if (s.env && s.env.GITHUB_WORKSPACE) {
      // Trusted by the rule (the runner's user owns RUNNER_TEMP and runs
      // the job), so the swap succeeds in the seam; the check before the
      // exec still sees it and refuses.
      assert.equal(got.seam.length, 1, name);
      assert.ok(got.seam[0].swap.ok, `${name}: the swap failed: ${got.seam[0].swap.stderr}`);
      assert.equal(got.code, 1, `${name}: ${got.printed}`);
      assert.match(got.printed, /^::error::aws-oidc-go\/native: the private copy .* was replaced after it was checked; refusing to run it$/m, name);
      assert.equal(got.ran, '', `${name}: something ran`);
    } else {
      // Accepted: the second user cannot rename the private directory; the verified copy runs.
      assert.equal(got.seam.length, 1, name);
      assert.equal(got.seam[0].swap.ok, false, `${name}: the second user swapped ${got.seam[0].swap.at}`);
      for (const e of got.seam[0].swap.tried) assert.match(e, /Operation not permitted|Permission denied/, name);
      assert.equal(got.code, 0, `${name}: ${got.printed}`);
      assert.equal(got.ran, 'verified', name);
    }
  }
});
