'use strict';
// Tests of the node action's shim: node --test native/*.test.js (make test-native),
// and under Windows node.exe (make test-windows, through Wine). The test CA is
// made with node's own crypto (no openssl). The stand-in binary is a sh script
// on POSIX; on Windows it is a real .exe, the Go program internal/e2e/shimfake
// built for windows, named by SHIM_TEST_FAKE_EXE (make test-windows builds it;
// missing, those tests fail).

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync, spawn } = require('node:child_process');

const shim = require('./shim');

const TAG = 'v9.8.7';
const WIN = process.platform === 'win32';
// The platform the shim is told it runs on: this one (its binary must run here).
const PLATFORM = { platform: WIN ? 'win32' : 'linux', arch: 'x64' };
const BINARY = shim.goPlatform(PLATFORM.platform, PLATFORM.arch).binary;
const BINARY_RE = BINARY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('platform mapping: Go names for the six release platforms, a clear error for others', () => {
  const cases = [
    ['linux', 'x64', 'linux', 'amd64', 'x64', 'aws-oidc-go_linux_amd64'],
    ['linux', 'arm64', 'linux', 'arm64', 'arm64', 'aws-oidc-go_linux_arm64'],
    ['darwin', 'x64', 'darwin', 'amd64', 'x64', 'aws-oidc-go_darwin_amd64'],
    ['darwin', 'arm64', 'darwin', 'arm64', 'arm64', 'aws-oidc-go_darwin_arm64'],
    ['win32', 'x64', 'windows', 'amd64', 'x64', 'aws-oidc-go_windows_amd64.exe'],
    ['win32', 'arm64', 'windows', 'arm64', 'arm64', 'aws-oidc-go_windows_arm64.exe'],
  ];
  for (const [platform, arch, goos, goarch, cacheArch, binary] of cases) {
    assert.deepEqual(shim.goPlatform(platform, arch), { goos, goarch, cacheArch, binary }, `${platform}/${arch}`);
  }
  for (const [platform, arch] of [['freebsd', 'x64'], ['linux', 'ia32'], ['linux', 'arm'], ['aix', 'ppc64'], ['win32', 'ia32']]) {
    assert.throws(() => shim.goPlatform(platform, arch), (e) => e instanceof shim.ShimError && e.message.includes(`${platform}/${arch}`));
  }
});

test('proxy selection reads HTTPS_PROXY and NO_PROXY as Go does', () => {
  const u = (s) => new URL(s);
  const cases = [
    // [url, env, proxy host or null]
    ['https://github.com/x', {}, null],
    ['https://github.com/x', { HTTPS_PROXY: 'http://proxy:3128' }, 'proxy:3128'],
    // Upper case first, as httpproxy.FromEnvironment's getEnvAny("HTTPS_PROXY", "https_proxy").
    ['https://github.com/x', { https_proxy: 'proxy:3128', HTTPS_PROXY: 'http://other:1' }, 'other:1'],
    ['https://github.com/x', { https_proxy: 'proxy:3128' }, 'proxy:3128'],
    ['https://github.com/x', { https_proxy: 'proxy:3128', HTTPS_PROXY: '' }, 'proxy:3128'], // empty counts as unset
    ['https://github.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: 'example.org', no_proxy: 'github.com' }, 'proxy:3128'],
    ['https://github.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: 'github.com', no_proxy: 'example.org' }, null],
    ['https://github.com/x', { HTTPS_PROXY: 'proxy:3128', no_proxy: 'github.com' }, null],
    ['https://github.com/x', { HTTP_PROXY: 'http://proxy:3128' }, null], // https URLs use HTTPS_PROXY only
    ['https://localhost/x', { HTTPS_PROXY: 'proxy:3128' }, null],
    ['https://127.0.0.9/x', { HTTPS_PROXY: 'proxy:3128' }, null],
    ['https://[::1]/x', { HTTPS_PROXY: 'proxy:3128' }, null],
    ['https://github.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '*' }, null],
    ['https://github.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: 'github.com' }, null],
    ['https://objects.github.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: 'github.com' }, null],
    ['https://notgithub.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: 'github.com' }, 'proxy:3128'],
    ['https://github.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '.github.com' }, 'proxy:3128'],
    ['https://a.github.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '*.github.com' }, null],
    ['https://github.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: ' example.org , GitHub.com ' }, null],
    ['https://github.com/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: 'github.com:8443' }, 'proxy:3128'],
    ['https://github.com:8443/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: 'github.com:8443' }, null],
    ['https://10.1.2.3/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '10.0.0.0/8' }, null],
    ['https://11.1.2.3/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '10.0.0.0/8' }, 'proxy:3128'],
    ['https://10.1.2.3/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '10.1.2.3' }, null],
    ['https://10.1.2.3/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '10.1.2.3:444' }, 'proxy:3128'],
    ['https://10.1.2.3/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '1.2.3' }, 'proxy:3128'], // domains never match IPs
    ['https://[fd00::1]/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: 'fd00::/8' }, null],
    ['https://[fd00::1]/x', { HTTPS_PROXY: 'proxy:3128', NO_PROXY: '[fd00::1]:443' }, null],
  ];
  for (const [url, env, want] of cases) {
    const got = shim.proxyFor(u(url), env);
    assert.equal(got ? got.host : null, want, `${url} with ${JSON.stringify(env)}`);
  }
  assert.throws(() => shim.proxyFor(u('https://github.com/'), { HTTPS_PROXY: 'socks5://proxy:1080' }), /socks5: is not supported/);
});

test('release files: the non-release message, bad VERSION, bad checksum lines', () => {
  const dir = tmp();
  assert.throws(() => shim.readRelease(dir), (e) => e instanceof shim.ShimError &&
    /not a release \(native\/VERSION is missing\)/.test(e.message) && /Use a release tag, e\.g\. uses: org\/aws-oidc-go\/native@v1/.test(e.message));
  fs.writeFileSync(path.join(dir, 'VERSION'), 'main\n');
  assert.throws(() => shim.readRelease(dir), /not a release tag like v1\.2\.3/);
  fs.writeFileSync(path.join(dir, 'VERSION'), `${TAG}\n`);
  fs.writeFileSync(path.join(dir, 'checksums.txt'), `${'a'.repeat(64)}  ${BINARY}\nnot a line\n`);
  assert.throws(() => shim.readRelease(dir), /not a sha256sum line: "not a line"/);
  fs.writeFileSync(path.join(dir, 'checksums.txt'), `${'a'.repeat(64)}  aws-oidc-go_linux_amd64\n${'b'.repeat(64)} *aws-oidc-go_windows_amd64.exe\n`);
  assert.deepEqual(shim.readRelease(dir), { tag: TAG, digests: { 'aws-oidc-go_linux_amd64': 'a'.repeat(64), 'aws-oidc-go_windows_amd64.exe': 'b'.repeat(64) } });
});

// The stand-in binary: records its own path, arguments and the host
// signal, and exits with SHIM_TEST_CODE.
const FAKE_SH = '#!/bin/sh\nprintf \'%s\\n\' "$0" "$*" "${AWS_OIDC_GO_RUNS_ON:-unset}" > "$SHIM_TEST_OUT"\nexit "${SHIM_TEST_CODE:-0}"\n';

/** fake: the stand-in binary's bytes for this platform (on Windows, the shimfake .exe). */
function fake() {
  if (!WIN) return Buffer.from(FAKE_SH);
  const exe = process.env.SHIM_TEST_FAKE_EXE;
  if (!exe) throw new Error('SHIM_TEST_FAKE_EXE is not set: on Windows the stand-in binary is internal/e2e/shimfake built for windows (make test-windows builds it)');
  return fs.readFileSync(exe);
}

/** tampered: bytes that differ from the fake's (a changed digest) and still run, were they run. */
function tampered(binary) { return Buffer.concat([binary, Buffer.from('\n# tampered\n')]); }

/** world: an action directory with a release, a runner temp and tool cache, a test CA and a local https server. */
async function world(t, { binary = fake(), committed = binary } = {}) {
  const w = { root: tmp(), requests: [], routes: {} };
  w.action = path.join(w.root, 'action');
  w.temp = path.join(w.root, 'runner-temp');
  w.cache = path.join(w.root, 'tool-cache');
  for (const d of [w.action, w.temp, w.cache]) fs.mkdirSync(d);
  fs.writeFileSync(path.join(w.action, 'VERSION'), `${TAG}\n`);
  fs.writeFileSync(path.join(w.action, 'checksums.txt'), `${shim.sha256(committed)}  ${BINARY}\n${'0'.repeat(64)}  aws-oidc-go_darwin_arm64\n`);
  w.binary = binary;
  w.out = path.join(w.root, 'ran.txt');
  const pki = certs(w.root);
  w.caFile = pki.caFile;
  w.ca = fs.readFileSync(pki.caFile);
  w.routes[`/releases/${TAG}/${BINARY}.gz`] = (req, res) => { res.writeHead(200); res.end(zlib.gzipSync(w.binary)); };
  w.server = https.createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    w.requests.push(req.url);
    const route = w.routes[req.url];
    if (route) return route(req, res);
    res.writeHead(404); res.end();
  });
  await new Promise((r) => w.server.listen(0, '127.0.0.1', r));
  w.port = w.server.address().port;
  t.after(() => w.server.close());
  w.base = `https://127.0.0.1:${w.port}/releases/${TAG}`;
  w.env = (extra = {}) => ({
    PATH: process.env.PATH, RUNNER_TEMP: w.temp, RUNNER_TOOL_CACHE: w.cache,
    AWS_OIDC_GO_DOWNLOAD_URL: w.base, SHIM_TEST_OUT: w.out, ...extra,
  });
  w.cachePaths = shim.cachePaths(w.cache, TAG, shim.goPlatform(PLATFORM.platform, PLATFORM.arch));
  return w;
}

/** runShim runs a stage in-process, collecting what the shim itself prints. */
async function runShim(w, stage, { env = w.env(), limits, ca = w.ca } = {}) {
  let printed = '';
  const code = await shim.run(stage, { actionDir: w.action, env, ...PLATFORM, ca, limits, out: { write: (s) => { printed += s; } } });
  return { code, printed };
}

function ran(w) {
  if (!fs.existsSync(w.out)) return null;
  const [self, args, signal] = fs.readFileSync(w.out, 'utf8').split('\n');
  return { self, args, signal };
}

test('cache hit: no download; the verified private copy runs with the host signal; exit code passes through', async (t) => {
  const w = await world(t);
  fs.mkdirSync(w.cachePaths.dir, { recursive: true });
  fs.writeFileSync(w.cachePaths.file, w.binary, { mode: 0o755 });
  fs.writeFileSync(w.cachePaths.marker, '');
  const r = await runShim(w, 'main', { env: w.env({ SHIM_TEST_CODE: '7' }) });
  assert.equal(r.code, 7, r.printed);
  assert.equal(r.printed, `aws-oidc-go/native: ${BINARY} ${TAG}, sha256 ${shim.sha256(w.binary)} as committed, from ${w.cachePaths.file}\n`);
  assert.deepEqual(w.requests, []);
  const got = ran(w);
  assert.ok(got, 'the binary did not run');
  assert.equal(got.signal, 'host');
  assert.equal(got.args, '');
  assert.equal(path.dirname(path.dirname(got.self)), w.temp, `ran ${got.self}, not a copy in RUNNER_TEMP`);
  assert.equal(path.basename(got.self), BINARY);
  // Windows: node reports no permission bits (an ACL guards the directory).
  if (!WIN) assert.equal(fs.statSync(path.dirname(got.self)).mode & 0o777, 0o700);
  assert.deepEqual(fs.readFileSync(got.self), w.binary);
});

test('download from an https server with the runner CA (NODE_EXTRA_CA_CERTS), cached for the next run', async (t) => {
  const w = await world(t);
  // The real entry point in a child node, as the runner starts it.
  const child = await node(path.join(__dirname, 'main.js'), w.env({ NODE_EXTRA_CA_CERTS: w.caFile, SHIM_TEST_CODE: '3' }), w.action);
  assert.equal(child.code, 3, child.output);
  assert.deepEqual(w.requests, [`/releases/${TAG}/${BINARY}.gz`]);
  assert.equal(ran(w).signal, 'host');
  assert.deepEqual(fs.readFileSync(w.cachePaths.file), w.binary);
  assert.ok(fs.existsSync(w.cachePaths.marker), 'no .complete marker');
  // Without the CA the same download fails: the trust comes from NODE_EXTRA_CA_CERTS.
  fs.rmSync(w.cachePaths.marker);
  const untrusted = await node(path.join(__dirname, 'main.js'), w.env(), w.action);
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.output, new RegExp(`::error::aws-oidc-go/native: GET https://127\\.0\\.0\\.1:\\d+/releases/v9\\.8\\.7/${BINARY_RE}\\.gz: .*(certificate|self.signed)`, 'i'));
});

test('download through an HTTPS_PROXY (CONNECT), following an https redirect', async (t) => {
  const w = await world(t);
  w.routes[`/releases/${TAG}/${BINARY}.gz`] = (req, res) => { res.writeHead(302, { Location: '/signed/asset?X-Amz-Signature=secret' }); res.end(); };
  w.routes['/signed/asset?X-Amz-Signature=secret'] = (req, res) => { res.writeHead(200); res.end(zlib.gzipSync(w.binary)); };
  const connects = [];
  const proxy = http.createServer((req, res) => { res.writeHead(405); res.end(); });
  proxy.on('connect', (req, client, head) => {
    connects.push(req.url);
    // assets.test is this test's name for the server: the proxy resolves it.
    const [, port] = req.url.split(':');
    const upstream = net.connect(Number(port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  t.after(() => proxy.close());
  const env = w.env({
    AWS_OIDC_GO_DOWNLOAD_URL: `https://assets.test:${w.port}/releases/${TAG}`,
    HTTPS_PROXY: `127.0.0.1:${proxy.address().port}`, NO_PROXY: 'example.org',
  });
  const r = await runShim(w, 'main', { env });
  assert.equal(r.code, 0, r.printed);
  assert.deepEqual(connects, [`assets.test:${w.port}`, `assets.test:${w.port}`]);
  assert.deepEqual(w.requests, [`/releases/${TAG}/${BINARY}.gz`, '/signed/asset?X-Amz-Signature=secret']);
  assert.equal(ran(w).signal, 'host');
});

test('through a proxy to an IP-literal URL, the certificate is checked against that IP, not the proxy', { skip: !['linux', 'win32'].includes(process.platform) && 'needs 127.0.0.2 on loopback (Linux and Windows have 127/8)' }, async (t) => {
  const w = await world(t);
  const connects = [];
  // A CONNECT proxy on 127.0.0.2 (not in the server's certificate) that sends every tunnel to the test server.
  const proxy = http.createServer((req, res) => { res.writeHead(405); res.end(); });
  proxy.on('connect', (req, client, head) => {
    connects.push(req.url);
    const upstream = net.connect(w.port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.2', r));
  t.after(() => proxy.close());
  const via = (ip) => w.env({ AWS_OIDC_GO_DOWNLOAD_URL: `https://${ip}:${w.port}/releases/${TAG}`, HTTPS_PROXY: `http://127.0.0.2:${proxy.address().port}` });
  // 192.0.2.1 is in the certificate.
  let r = await runShim(w, 'main', { env: via('192.0.2.1') });
  assert.equal(r.code, 0, r.printed);
  assert.deepEqual(connects, [`192.0.2.1:${w.port}`]);
  assert.equal(ran(w).signal, 'host');
  // 192.0.2.2 is not: the same server's certificate is refused for it.
  fs.rmSync(path.join(w.cache, 'aws-oidc-go'), { recursive: true });
  fs.rmSync(w.out);
  r = await runShim(w, 'main', { env: via('192.0.2.2') });
  assert.equal(r.code, 1, r.printed);
  assert.match(r.printed, /192\.0\.2\.2.*(not in the cert|altnames)/i);
  assert.equal(ran(w), null);
});

test('a tampered cached binary is refused: nothing runs', async (t) => {
  const w = await world(t);
  const evil = tampered(w.binary);
  fs.mkdirSync(w.cachePaths.dir, { recursive: true });
  fs.writeFileSync(w.cachePaths.file, evil, { mode: 0o755 });
  fs.writeFileSync(w.cachePaths.marker, '');
  for (const stage of ['main', 'post']) {
    const r = await runShim(w, stage);
    assert.equal(r.code, 1);
    assert.ok(r.printed.startsWith('::error::'), r.printed);
    assert.ok(r.printed.includes(`the cached binary ${w.cachePaths.file} does not match the release's digest: ` +
      `expected sha256 ${shim.sha256(w.binary)}, got sha256 ${shim.sha256(evil)}; refusing to run it`), r.printed);
    assert.equal(ran(w), null, 'the tampered binary ran');
    assert.deepEqual(w.requests, []);
    assert.deepEqual(fs.readdirSync(w.temp), [], 'a copy was made');
  }
});

test('cache junk that is not a regular file (a FIFO, a link to /dev/zero or to a big file) is downloaded again, never opened', { skip: WIN && 'FIFOs, /dev/zero and POSIX symlinks: POSIX only (Windows links: the win32 rule test)' }, async (t) => {
  const w = await world(t);
  const big = path.join(w.root, 'big');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, 1 << 30); // sparse: 1 GiB to read, were it followed
  const plants = {
    fifo: () => execFileSync('mkfifo', [w.cachePaths.file]),
    'link to /dev/zero': () => fs.symlinkSync('/dev/zero', w.cachePaths.file),
    'link to a big file': () => fs.symlinkSync(big, w.cachePaths.file),
    'link to the right binary': () => { fs.writeFileSync(path.join(w.root, 'elsewhere'), w.binary); fs.symlinkSync(path.join(w.root, 'elsewhere'), w.cachePaths.file); },
  };
  for (const [name, plant] of Object.entries(plants)) {
    fs.rmSync(path.join(w.cache, 'aws-oidc-go'), { recursive: true, force: true });
    fs.mkdirSync(w.cachePaths.dir, { recursive: true });
    plant();
    fs.writeFileSync(w.cachePaths.marker, '');
    w.requests.length = 0;
    const child = await node(path.join(__dirname, 'main.js'), w.env({ NODE_EXTRA_CA_CERTS: w.caFile }), w.action, { timeoutMs: 15000 });
    assert.equal(child.hung, false, `${name}: the shim hung`);
    assert.equal(child.code, 0, `${name}: ${child.output}`);
    assert.match(child.output, new RegExp(`::warning::aws-oidc-go/native: the cached ${BINARY} .* is not a regular file`), name);
    assert.deepEqual(w.requests, [`/releases/${TAG}/${BINARY}.gz`], name);
    assert.ok(fs.lstatSync(w.cachePaths.file).isFile(), `${name}: the cache entry was not replaced by the download`);
    assert.deepEqual(fs.readFileSync(w.cachePaths.file), w.binary, name);
  }
});

test('caching writes through no planted link: a linked marker or version directory is replaced, what it names stays', { skip: WIN && 'plants POSIX symlinks (fs.symlinkSync needs a privilege on Windows, and Wine makes none)' }, async (t) => {
  const w = await world(t);
  const victim = path.join(w.root, 'victim.txt');
  const victimDir = path.join(w.root, 'victim-dir');
  fs.writeFileSync(victim, 'a user\'s own file\n');
  fs.mkdirSync(victimDir);
  const version = path.dirname(path.dirname(w.cachePaths.file));
  fs.mkdirSync(version, { recursive: true });
  fs.symlinkSync(victim, w.cachePaths.marker); // x64.complete -> the user's file
  let r = await runShim(w, 'main');
  assert.equal(r.code, 0, r.printed);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'a user\'s own file\n', 'the marker write went through the link');
  assert.ok(fs.lstatSync(w.cachePaths.marker).isFile(), 'the marker is still a link');
  assert.deepEqual(fs.readFileSync(w.cachePaths.file), w.binary);
  // A version directory that is a link to another directory.
  fs.rmSync(path.join(w.cache, 'aws-oidc-go'), { recursive: true });
  fs.mkdirSync(path.dirname(version));
  fs.symlinkSync(victimDir, version);
  r = await runShim(w, 'main');
  assert.equal(r.code, 0, r.printed);
  assert.deepEqual(fs.readdirSync(victimDir), [], 'the cache was written through the linked version directory');
  assert.ok(fs.lstatSync(version).isDirectory());
  assert.deepEqual(fs.readFileSync(w.cachePaths.file), w.binary);
  assert.ok(fs.lstatSync(w.cachePaths.marker).isFile());
  assert.deepEqual(fs.readdirSync(w.cachePaths.dir), [BINARY], 'a temporary file was left');
});

test('a digest mismatch after download is refused: nothing runs, nothing is cached', async (t) => {
  const w = await world(t, { committed: Buffer.from('the binary the release commit names') });
  const r = await runShim(w, 'main');
  assert.equal(r.code, 1);
  assert.match(r.printed, new RegExp(`the downloaded binary https://127\\.0\\.0\\.1:${w.port}/releases/${TAG}/${BINARY}\\.gz does not match the release's digest: ` +
    `expected sha256 ${shim.sha256(Buffer.from('the binary the release commit names'))}, got sha256 ${shim.sha256(w.binary)}`));
  assert.equal(ran(w), null);
  assert.equal(fs.existsSync(w.cachePaths.file), false);
  assert.deepEqual(fs.readdirSync(w.temp), []);
});

test('oversize downloads are refused: a long body, a declared length, a gzip bomb', async (t) => {
  const w = await world(t);
  const small = { ...shim.LIMITS, compressedBytes: 64 };
  let r = await runShim(w, 'main', { limits: small });
  assert.equal(r.code, 1);
  assert.match(r.printed, /is (\d+ bytes, )?more than the 64( bytes)? allowed/);
  w.routes[`/releases/${TAG}/${BINARY}.gz`] = (req, res) => {
    res.writeHead(200); // chunked: no Content-Length to check up front
    res.write(Buffer.alloc(50)); res.write(Buffer.alloc(50)); res.end();
  };
  r = await runShim(w, 'main', { limits: small });
  assert.match(r.printed, /is more than the 64 bytes allowed/);
  w.routes[`/releases/${TAG}/${BINARY}.gz`] = (req, res) => { res.writeHead(200); res.end(zlib.gzipSync(Buffer.alloc(1 << 20))); };
  r = await runShim(w, 'main', { limits: { ...shim.LIMITS, binaryBytes: 1000 } });
  assert.equal(r.code, 1);
  assert.match(r.printed, /unpacks to more than the 1000 bytes a binary may have/);
  assert.equal(ran(w), null);
});

test('http is refused: the download URL, and a redirect to http', async (t) => {
  const w = await world(t);
  let r = await runShim(w, 'main', { env: w.env({ AWS_OIDC_GO_DOWNLOAD_URL: `http://127.0.0.1:${w.port}/releases/${TAG}` }) });
  assert.equal(r.code, 1);
  assert.match(r.printed, new RegExp(`refusing http://127\\.0\\.0\\.1:\\d+/releases/v9\\.8\\.7/${BINARY_RE}\\.gz: the binary is fetched over https only`));
  w.routes[`/releases/${TAG}/${BINARY}.gz`] = (req, res) => { res.writeHead(302, { Location: `http://127.0.0.1:${w.port}/plain?token=secret` }); res.end(); };
  r = await runShim(w, 'main');
  assert.equal(r.code, 1);
  assert.match(r.printed, /refusing a redirect to http:\/\/127\.0\.0\.1:\d+\/plain: the binary is fetched over https only/);
  assert.ok(!r.printed.includes('secret'), 'the redirect URL\'s query was printed');
  assert.equal(ran(w), null);
});

test('the download is bounded in time', async (t) => {
  const w = await world(t);
  w.routes[`/releases/${TAG}/${BINARY}.gz`] = (req, res) => { res.writeHead(200); res.write('x'); /* and never ends */ };
  const started = Date.now();
  const r = await runShim(w, 'main', { limits: { ...shim.LIMITS, timeoutMs: 300 } });
  assert.equal(r.code, 1);
  assert.match(r.printed, /took longer than 0\.3s/);
  assert.ok(Date.now() - started < 10000);
});

test('a commit without native/VERSION fails with the non-release message', async (t) => {
  const w = await world(t);
  fs.rmSync(path.join(w.action, 'VERSION'));
  const r = await runShim(w, 'main');
  assert.equal(r.code, 1);
  assert.match(r.printed, /^::error::aws-oidc-go\/native: this commit of the action is not a release/);
  assert.equal(ran(w), null);
});

test('post: runs `aws-oidc-go post` verified, and removes the main step\'s private copy', async (t) => {
  const w = await world(t);
  const state = path.join(w.root, 'state');
  fs.writeFileSync(state, '');
  let r = await runShim(w, 'main', { env: w.env({ GITHUB_STATE: state }) });
  assert.equal(r.code, 0, r.printed);
  const mainCopy = path.dirname(ran(w).self);
  assert.equal(fs.readFileSync(state, 'utf8'), `aws_oidc_go_native_dir=${mainCopy}\n`);
  r = await runShim(w, 'post', { env: w.env({ STATE_aws_oidc_go_native_dir: mainCopy, SHIM_TEST_CODE: '0' }) });
  assert.equal(r.code, 0, r.printed);
  const got = ran(w);
  assert.equal(got.args, 'post');
  assert.equal(got.signal, 'host');
  assert.deepEqual(fs.readdirSync(w.temp), [], 'a private copy outlived the post step');
  // Only the shim's own directories are removed.
  const other = path.join(w.temp, 'not-ours');
  fs.mkdirSync(other);
  r = await runShim(w, 'post', { env: w.env({ STATE_aws_oidc_go_native_dir: other }) });
  assert.ok(fs.existsSync(other));
});

test('post: runs the main step\'s copy when it checks out, so a failing download cannot keep the cleanup from running', async (t) => {
  const w = await world(t);
  const state = path.join(w.root, 'state');
  const main = async () => {
    fs.writeFileSync(state, '');
    const r = await runShim(w, 'main', { env: w.env({ GITHUB_STATE: state }) });
    assert.equal(r.code, 0, r.printed);
    return path.dirname(ran(w).self);
  };
  // The download fails in the post step (and the cache is gone): the main step's copy runs.
  let mainCopy = await main();
  fs.rmSync(path.join(w.cache, 'aws-oidc-go'), { recursive: true });
  delete w.routes[`/releases/${TAG}/${BINARY}.gz`];
  w.requests.length = 0;
  let r = await runShim(w, 'post', { env: w.env({ STATE_aws_oidc_go_native_dir: mainCopy }) });
  assert.equal(r.code, 0, r.printed);
  assert.equal(ran(w).args, 'post');
  assert.equal(ran(w).self, path.join(mainCopy, BINARY));
  assert.equal(ran(w).signal, 'host');
  assert.deepEqual(w.requests, []);
  assert.deepEqual(fs.readdirSync(w.temp), [], 'the main step\'s copy outlived the post step');
  // A main step copy that no longer checks out is not run: the post step fetches again, and removes both.
  w.routes[`/releases/${TAG}/${BINARY}.gz`] = (req, res) => { res.writeHead(200); res.end(zlib.gzipSync(w.binary)); };
  const spoil = {
    'a changed binary': (d) => { fs.chmodSync(path.join(d, BINARY), 0o700); fs.appendFileSync(path.join(d, BINARY), '# more\n'); },
    'a directory open to others': (d) => fs.chmodSync(d, 0o755),
    'a directory that is a link': (d) => { fs.renameSync(d, d + '-moved'); fs.symlinkSync(d + '-moved', d); },
  };
  for (const [name, how] of Object.entries(spoil)) {
    if (name !== 'a changed binary' && WIN) {
      t.diagnostic(`not on Windows: ${name} (no modes there; a junction: the win32 rule tests)`);
      continue;
    }
    mainCopy = await main();
    how(mainCopy);
    fs.rmSync(w.out);
    r = await runShim(w, 'post', { env: w.env({ STATE_aws_oidc_go_native_dir: mainCopy }) });
    assert.equal(r.code, 0, `${name}: ${r.printed}`);
    assert.match(r.printed, /::warning::aws-oidc-go\/native: not running the main step's copy of the binary: .*; fetching it again/, name);
    assert.notEqual(path.dirname(ran(w).self), mainCopy, `${name}: the main step's copy ran`);
    assert.equal(ran(w).args, 'post', name);
    fs.rmSync(mainCopy + '-moved', { recursive: true, force: true });
    assert.deepEqual(fs.readdirSync(w.temp), [], `${name}: a copy outlived the post step`);
  }
  // The post step fails to get a binary at all: the main step's copy is still removed.
  mainCopy = await main();
  fs.appendFileSync(path.join(mainCopy, BINARY), '# more\n');
  fs.rmSync(path.join(w.cache, 'aws-oidc-go'), { recursive: true });
  delete w.routes[`/releases/${TAG}/${BINARY}.gz`];
  r = await runShim(w, 'post', { env: w.env({ STATE_aws_oidc_go_native_dir: mainCopy }) });
  assert.equal(r.code, 1, r.printed);
  assert.deepEqual(fs.readdirSync(w.temp), [], 'the main step\'s copy outlived a failed post step');
});

test('where the binary is downloaded from', () => {
  assert.equal(shim.downloadBase({ GITHUB_ACTION_REPOSITORY: 'org/aws-oidc-go' }, '/x', 'v1.2.3'), 'https://github.com/org/aws-oidc-go/releases/download/v1.2.3');
  assert.equal(shim.downloadBase({ AWS_OIDC_GO_DOWNLOAD_URL: 'https://mirror.example/aws-oidc-go/v1.2.3/' }, '/x', 'v1.2.3'), 'https://mirror.example/aws-oidc-go/v1.2.3');
  assert.equal(shim.actionRepository({}, path.join('/home/runner/work/_actions/org/aws-oidc-go/v1/native')), 'org/aws-oidc-go');
  assert.equal(shim.actionRepository({ GITHUB_ACTION_REPOSITORY: 'bad name' }, '/x/native'), '');
  assert.throws(() => shim.downloadBase({}, '/x/native', 'v1.2.3'), /set AWS_OIDC_GO_DOWNLOAD_URL/);
});

function tmp() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-oidc-go-shim-test-'));
  test.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * certs makes a test CA and a server certificate for assets.test, 127.0.0.1
 * and 192.0.2.1 with node's own crypto: P-256 keys, X.509 v3 written as DER
 * here (node can sign but not issue certificates), valid from an hour ago
 * for two days.
 */
function certs(dir) {
  const ca = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const srv = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caName = der.name('aws-oidc-go shim test CA');
  const caCert = der.certificate({
    issuer: caName, subject: caName, publicKey: ca.publicKey, signer: ca.privateKey,
    extensions: [
      der.extension('2.5.29.19', true, der.seq(der.bool(true))), // basicConstraints: CA
      der.extension('2.5.29.15', true, der.bitString(Buffer.from([0x06]), 1)), // keyUsage: keyCertSign, cRLSign
    ],
  });
  const srvCert = der.certificate({
    issuer: caName, subject: der.name('assets.test'), publicKey: srv.publicKey, signer: ca.privateKey,
    extensions: [
      der.extension('2.5.29.17', false, der.seq( // subjectAltName
        der.tlv(0x82, Buffer.from('assets.test')), der.tlv(0x87, Buffer.from([127, 0, 0, 1])), der.tlv(0x87, Buffer.from([192, 0, 2, 1])))),
    ],
  });
  const pem = (bytes) => `-----BEGIN CERTIFICATE-----\n${bytes.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, pem(caCert));
  return { caFile, key: srv.privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: pem(srvCert) };
}

/** der: just enough DER to write an X.509 v3 certificate signed with ECDSA P-256/SHA-256. */
const der = {
  tlv(tag, body) {
    const n = body.length;
    const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
    return Buffer.concat([Buffer.from([tag]), len, body]);
  },
  seq: (...items) => der.tlv(0x30, Buffer.concat(items)),
  set: (...items) => der.tlv(0x31, Buffer.concat(items)),
  bool: (v) => der.tlv(0x01, Buffer.from([v ? 0xff : 0])),
  int(bytes) { // a non-negative integer from big-endian bytes
    let b = Buffer.from(bytes);
    while (b.length > 1 && b[0] === 0 && b[1] < 0x80) b = b.subarray(1);
    if (b[0] >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return der.tlv(0x02, b);
  },
  oid(dotted) {
    const [a, b, ...rest] = dotted.split('.').map(Number);
    const out = [40 * a + b];
    for (const v of rest) {
      const groups = [v & 0x7f];
      for (let x = v >> 7; x > 0; x >>= 7) groups.unshift((x & 0x7f) | 0x80);
      out.push(...groups);
    }
    return der.tlv(0x06, Buffer.from(out));
  },
  bitString: (bytes, unused = 0) => der.tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes])),
  octets: (bytes) => der.tlv(0x04, bytes),
  explicit: (n, body) => der.tlv(0xa0 + n, body),
  utcTime: (d) => der.tlv(0x17, Buffer.from(d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z'))),
  name: (cn) => der.seq(der.set(der.seq(der.oid('2.5.4.3'), der.tlv(0x0c, Buffer.from(cn))))),
  extension: (oid, critical, value) => der.seq(der.oid(oid), ...(critical ? [der.bool(true)] : []), der.octets(value)),
  certificate({ issuer, subject, publicKey, signer, extensions }) {
    const ecdsaSHA256 = der.seq(der.oid('1.2.840.10045.4.3.2'));
    const now = Date.now();
    const serial = crypto.randomBytes(16);
    serial[0] &= 0x7f;
    const tbs = der.seq(
      der.explicit(0, der.int([2])), // v3
      der.int(serial), ecdsaSHA256, issuer,
      der.seq(der.utcTime(new Date(now - 3600e3)), der.utcTime(new Date(now + 2 * 86400e3))),
      subject, publicKey.export({ type: 'spki', format: 'der' }),
      der.explicit(3, der.seq(...extensions)));
    return der.seq(tbs, ecdsaSHA256, der.bitString(crypto.sign('sha256', tbs, signer)));
  },
};

/** node runs a script in a child node with exactly env (and the action directory as its own). */
function node(script, env, actionDir, { timeoutMs = 60000 } = {}) {
  // The entry points find the release files beside themselves: run copies.
  for (const f of ['main.js', 'post.js', 'shim.js']) fs.copyFileSync(path.join(__dirname, f), path.join(actionDir, f));
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(actionDir, path.basename(script))], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let hung = false;
    // A shim blocked in a system call blocks its event loop: only a kill ends it.
    const timer = setTimeout(() => { hung = true; c.kill('SIGKILL'); }, timeoutMs);
    c.stdout.on('data', (d) => { output += d; });
    c.stderr.on('data', (d) => { output += d; });
    c.on('close', (code) => { clearTimeout(timer); resolve({ code, output, hung }); });
  });
}

