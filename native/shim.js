'use strict';
// The node action's shim (uses: org/aws-oidc-go/native@v1). All behaviour
// is the Go binary's; this file only finds that binary, proves it is the
// one the release commit names, and runs it:
//
//  1. process.platform x process.arch -> GOOS/GOARCH (linux, darwin,
//     windows x amd64, arm64);
//  2. native/VERSION (the tag) and native/checksums.txt (sha256sum format,
//     one line per binary aws-oidc-go_<GOOS>_<GOARCH>[.exe]; two different
//     digests for one binary refuse the file) come with the release
//     commit; a commit without them is not a release and fails;
//  3. the binary comes from the runner's tool cache (@actions/tool-cache's
//     layout: $RUNNER_TOOL_CACHE/aws-oidc-go/<version>/<x64|arm64>/ with
//     <x64|arm64>.complete beside it) or else from the release asset
//     <binary>.gz under https://github.com/<owner>/<repo>/releases/download/<tag>/
//     (or the base URL in AWS_OIDC_GO_DOWNLOAD_URL): https only, redirects
//     too, through HTTPS_PROXY / NO_PROXY as Go reads them, bounded in size
//     and time; a fresh download is cached;
//  4. before every exec, cached or fresh, the bytes are hashed and must
//     match the committed digest; exactly those bytes are written into a
//     new private directory (mkdtemp in RUNNER_TEMP, mode 0700) and that
//     file is what runs. Nobody else can swap it between the check and the
//     exec because RUNNER_TEMP must pass the temp-directory rule first
//     (checkTempBase: it and every directory above it owned by a trusted
//     user and not writable by anyone else unless sticky), else the step
//     fails naming the directory;
//  5. it runs with the step's environment plus AWS_OIDC_GO_RUNS_ON=host
//     (the binary then never takes itself for a container action), the
//     step's stdio, and the shim exits with its exit code.
//
// Node built-ins only: no node_modules, no build step; node 20 and 24.

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
// The network modules load only for a download: a tool-cache hit, the
// usual case, does not pay for them.
const lazy = (name) => { let m; return () => (m ||= require(name)); };
const httpMod = lazy('node:http');
const netMod = lazy('node:net');
const tlsMod = lazy('node:tls');
const zlibMod = lazy('node:zlib');

/** The variable that tells the binary it runs on the runner's host. */
const HOST_SIGNAL = 'AWS_OIDC_GO_RUNS_ON';
/** The state the main step leaves the post step: its private directory. */
const STATE_DIR = 'aws_oidc_go_native_dir';
const TOOL = 'aws-oidc-go';
const LIMITS = Object.freeze({
  compressedBytes: 64 << 20, // the gzip asset (today's binaries: ~6 MB compressed)
  binaryBytes: 128 << 20, // the binary after gunzip (~15 MB)
  timeoutMs: 120000, // the whole download, redirects included
  redirects: 5,
});

/** A failure the shim reports as one ::error:: line and exit code 1. */
class ShimError extends Error {}

/**
 * goPlatform maps node's platform and arch to Go's GOOS and GOARCH and the
 * tool cache's arch name; anything else is a ShimError naming the platform.
 */
function goPlatform(platform, arch) {
  const goos = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[platform];
  const goarch = { x64: 'amd64', arm64: 'arm64' }[arch];
  if (!goos || !goarch) {
    throw new ShimError(`aws-oidc-go/native: no binary for this runner's platform ${platform}/${arch}: ` +
      'releases carry linux, darwin and windows for x64 (amd64) and arm64');
  }
  return { goos, goarch, cacheArch: arch, binary: `aws-oidc-go_${goos}_${goarch}${goos === 'windows' ? '.exe' : ''}` };
}

const VERSION_RE = /^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/;
const CHECKSUM_RE = /^([0-9a-f]{64}) [ *]([A-Za-z0-9_.-]+)$/;

/**
 * readRelease reads native/VERSION and native/checksums.txt from the
 * action's directory: { tag, digests: {binary: sha256 hex} }. A commit
 * without VERSION is not a release: a ShimError saying to use a tag.
 */
function readRelease(dir) {
  let tag;
  try {
    tag = fs.readFileSync(path.join(dir, 'VERSION'), 'utf8').trim();
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    throw new ShimError('aws-oidc-go/native: this commit of the action is not a release (native/VERSION is missing), ' +
      'so there is no published binary whose digest it could check. Use a release tag, e.g. ' +
      'uses: org/aws-oidc-go/native@v1 (or a full release commit SHA); to try an unreleased commit, ' +
      'use the container action (uses: org/aws-oidc-go@<sha>) or build the CLI with go install');
  }
  if (!VERSION_RE.test(tag)) {
    throw new ShimError(`aws-oidc-go/native: native/VERSION holds ${JSON.stringify(tag.slice(0, 40))}, not a release tag like v1.2.3`);
  }
  const digests = {};
  const text = fs.readFileSync(path.join(dir, 'checksums.txt'), 'utf8');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = CHECKSUM_RE.exec(line.replace(/\r$/, ''));
    if (!m) throw new ShimError(`aws-oidc-go/native: native/checksums.txt: not a sha256sum line: ${JSON.stringify(line.slice(0, 100))}`);
    // A repeated name with the same digest is harmless (sha256sum -c
    // accepts it); two digests for one binary leave no committed digest.
    if (Object.hasOwn(digests, m[2]) && digests[m[2]] !== m[1]) {
      throw new ShimError(`aws-oidc-go/native: native/checksums.txt names ${m[2]} twice with different digests, ` +
        `sha256 ${digests[m[2]]} and sha256 ${m[1]}; refusing the file`);
    }
    digests[m[2]] = m[1];
  }
  return { tag, digests };
}

function sha256(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** verify throws the mismatch error: the file, the expected and the actual digest. */
function verify(bytes, expected, what) {
  const actual = sha256(bytes);
  if (actual !== expected) throw mismatch(what, expected, actual);
}

/** cachePaths: @actions/tool-cache's layout for this version and arch. */
function cachePaths(toolCache, tag, p) {
  const tool = path.join(toolCache, TOOL);
  const version = path.join(tool, tag.replace(/^v/, ''));
  const dir = path.join(version, p.cacheArch);
  return { dir, dirs: [tool, version, dir], file: path.join(dir, p.binary), marker: `${dir}.complete` };
}

// Opening a cached file never blocks (a FIFO) and never follows a final
// symlink, where the platform has the flags (not Windows).
const OPEN_FLAGS = (() => {
  const c = fs.constants;
  if (process.platform === 'win32' || c.O_NOFOLLOW === undefined || c.O_NONBLOCK === undefined) return 'r';
  return c.O_RDONLY | c.O_NONBLOCK | c.O_NOFOLLOW;
})();

/** NotRegular: a path that is not a regular file (a FIFO, a device, a link, a directory). */
class NotRegular extends ShimError {}

/**
 * openRegular opens a regular file of at most max bytes for reading. It
 * lstats the path first and opens it without following a link or blocking,
 * then fstats what it opened: anything but a regular file is a NotRegular.
 */
function openRegular(file, max) {
  const notRegular = () => new NotRegular(`aws-oidc-go/native: ${file} is not a regular file`);
  if (!fs.lstatSync(file).isFile()) throw notRegular();
  let fd;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (e) {
    if (e.code === 'ELOOP' || e.code === 'EMLINK') throw notRegular(); // swapped for a link since the lstat
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notRegular();
    if (st.size > max) throw tooLarge(file, st.size, max);
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function tooLarge(file, size, max) {
  return new ShimError(`aws-oidc-go/native: ${file} is ${size} bytes, more than the ${max} a binary may have`);
}

// Files are hashed (and copied) in chunks: a 10 MB buffer costs more in
// page faults than the hash itself (measured: ~100 ms against ~15 ms).
const CHUNK = 256 << 10;

/**
 * hashFile streams an open file from its start to its end through sha256,
 * handing each chunk to sink (if any) as it is hashed, and returns the
 * digest; more than max bytes (the file grew) is an error.
 */
function hashFile(fd, file, max, sink) {
  const h = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let total = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, total);
    if (n === 0) break;
    total += n;
    if (total > max) throw tooLarge(file, total, max);
    const chunk = buf.subarray(0, n);
    h.update(chunk);
    if (sink) sink(chunk);
  }
  return h.digest('hex');
}

/** mismatch is the refusal: the file, the expected and the actual digest. */
function mismatch(what, expected, actual) {
  return new ShimError(`aws-oidc-go/native: ${what} does not match the release's digest: ` +
    `expected sha256 ${expected}, got sha256 ${actual}; refusing to run it`);
}

/**
 * copyVerified copies a cached binary into a new private directory
 * (privateDir), hashing exactly the bytes it writes: the copy runs only if
 * their digest is the committed one, so nothing can swap the file between
 * the check and the exec. A mismatch removes the copy and throws.
 */
function copyVerified(file, expected, binary, env, max) {
  const fd = openRegular(file, max);
  let dir;
  try {
    const d = privateDir(env);
    dir = d.dir;
    const out = fs.openSync(path.join(dir, binary), 'wx', 0o700);
    let actual;
    let written;
    try {
      actual = hashFile(fd, file, max, (chunk) => {
        for (let off = 0; off < chunk.length;) off += fs.writeSync(out, chunk, off);
      });
      written = fs.fstatSync(out);
    } finally {
      fs.closeSync(out);
    }
    if (actual !== expected) throw mismatch(`the cached binary ${file}`, expected, actual);
    return { dir, file: path.join(dir, binary), ids: [d.id, identity(written)] };
  } catch (e) {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * writeCache stores a verified binary; a failure only costs a later
 * download. Nothing it writes follows a link someone planted in the shared
 * tool cache: each of its directories is lstat'ed (a link or file there is
 * unlinked, not followed, and a real directory made), and the binary and
 * the marker are written under new names (O_EXCL) and renamed into place,
 * which replaces a link instead of writing through it.
 */
function writeCache(paths, bytes, log) {
  const fresh = (dir, name) => path.join(dir, `.${name}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`);
  const place = (target, data, mode) => {
    const tmp = fresh(path.dirname(target), path.basename(target));
    fs.writeFileSync(tmp, data, { mode, flag: 'wx' });
    try {
      fs.renameSync(tmp, target);
    } catch (e) {
      try { fs.unlinkSync(tmp); } catch { /* already gone */ }
      throw e;
    }
  };
  try {
    for (const d of paths.dirs) {
      let st = null;
      try { st = fs.lstatSync(d); } catch (e) { if (e.code !== 'ENOENT') throw e; }
      if (st && st.isDirectory()) continue;
      if (st) fs.unlinkSync(d);
      fs.mkdirSync(d);
    }
    place(paths.file, bytes, 0o755);
    place(paths.marker, '', 0o644);
  } catch (e) {
    log(`::warning::aws-oidc-go/native: could not cache the binary in ${escapeData(paths.dir)}: ${escapeData(e.message)}`);
  }
}

/**
 * proxyFor returns the proxy URL for an https URL from the environment, as
 * Go's net/http (golang.org/x/net/http/httpproxy) reads it: HTTPS_PROXY,
 * else https_proxy (the upper case first, an empty value counting as
 * unset), a value without a scheme taken as http://; never for localhost
 * or a loopback address; not for hosts NO_PROXY (else no_proxy) matches: "*", IPs, CIDRs, and domains (example.com matches itself and
 * its subdomains, .example.com and *.example.com only subdomains), each
 * with an optional :port. Null: connect directly.
 */
function proxyFor(target, env) {
  const pick = (...names) => { for (const n of names) if (env[n]) return env[n]; return ''; };
  const raw = pick('HTTPS_PROXY', 'https_proxy');
  if (!raw) return null;
  let proxy = parseURL(raw);
  if (!proxy || !proxy.protocol || !proxy.host) proxy = parseURL('http://' + raw);
  if (!proxy) throw new ShimError('aws-oidc-go/native: HTTPS_PROXY is not a URL');
  const host = stripBrackets(target.hostname.toLowerCase());
  const port = target.port || '443';
  if (host === 'localhost') return null;
  const ip = netMod().isIP(host) ? host : '';
  if (ip && isLoopback(ip)) return null;
  for (let p of pick('NO_PROXY', 'no_proxy').split(',')) {
    p = p.trim().toLowerCase();
    if (!p) continue;
    if (p === '*') return null;
    if (p.includes('/')) {
      if (ip && inCIDR(ip, p)) return null;
      continue;
    }
    let phost = p;
    let pport = '';
    const hp = /^(\[[^\]]*\]|[^:]*):([0-9]*)$/.exec(p);
    if (hp) { phost = hp[1]; pport = hp[2]; }
    phost = stripBrackets(phost);
    if (!phost) continue;
    if (netMod().isIP(phost)) {
      if (ip && sameIP(ip, phost) && (pport === '' || pport === port)) return null;
      continue;
    }
    if (ip) continue;
    if (phost.startsWith('*.')) phost = phost.slice(1);
    let matchHost = false;
    if (phost[0] !== '.') { matchHost = true; phost = '.' + phost; }
    if ((host.endsWith(phost) || (matchHost && host === phost.slice(1))) && (pport === '' || pport === port)) return null;
  }
  if (proxy.protocol !== 'http:') {
    throw new ShimError(`aws-oidc-go/native: HTTPS_PROXY scheme ${proxy.protocol} is not supported here: use an http:// proxy`);
  }
  return proxy;
}

function parseURL(s) { try { return new URL(s); } catch { return null; } }
function stripBrackets(h) { return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h; }
function isLoopback(ip) {
  if (netMod().isIPv4(ip)) return ip.startsWith('127.');
  const b = ipBytes(ip);
  if (b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b[12] === 127;
  return b.length === 16 && b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
}
function ipBytes(ip) {
  if (netMod().isIPv4(ip)) return ip.split('.').map(Number);
  const sock = new (netMod().SocketAddress)({ address: ip, family: 'ipv6' });
  const parts = sock.address.split('::');
  const expand = (s) => (s ? s.split(':') : []);
  let groups = expand(parts[0]);
  if (parts.length === 2) {
    const tail = expand(parts[1]);
    groups = groups.concat(Array(8 - groups.length - tail.length).fill('0'), tail);
  }
  const out = [];
  for (const g of groups) {
    if (g.includes('.')) { out.push(...g.split('.').map(Number)); continue; }
    const v = parseInt(g, 16);
    out.push(v >> 8, v & 255);
  }
  return out;
}
// Go compares IPv4 and IPv4-mapped IPv6 as equal (16-byte form).
function ip16(ip) { const b = ipBytes(ip); return b.length === 4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...b] : b; }
function sameIP(a, b) { const x = ip16(a); const y = ip16(b); return x.every((v, i) => v === y[i]); }
function inCIDR(ip, cidr) {
  const [base, bitsText] = cidr.split('/');
  if (!netMod().isIP(base) || !/^[0-9]+$/.test(bitsText)) return false;
  const v4 = netMod().isIPv4(base);
  let bits = Number(bitsText);
  if (bits > (v4 ? 32 : 128)) return false;
  if (v4) {
    if (!netMod().isIPv4(ip) && !ip16(ip).slice(0, 12).every((v, i) => v === [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255][i])) return false;
    bits += 96;
  }
  const x = ip16(ip);
  const y = ip16(base);
  for (let i = 0; i < bits; i++) {
    const m = 0x80 >> (i % 8);
    if ((x[i >> 3] & m) !== (y[i >> 3] & m)) return false;
  }
  return true;
}

/**
 * connect opens a TLS connection to target (a URL), through the proxy with
 * CONNECT when there is one. ca: extra trust anchors (tests); the runner's
 * own come from node's store and NODE_EXTRA_CA_CERTS.
 */
function connect(target, proxy, opts) {
  const host = stripBrackets(target.hostname);
  const port = Number(target.port || 443);
  const servername = netMod().isIP(host) ? undefined : host;
  if (!proxy) {
    return Promise.resolve(tlsMod().connect({ host, port, servername, ca: opts.ca, ALPNProtocols: ['http/1.1'] }));
  }
  return new Promise((resolve, reject) => {
    const authority = netMod().isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
    const headers = { Host: authority };
    if (proxy.username) {
      headers['Proxy-Authorization'] = 'Basic ' +
        Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64');
    }
    const req = httpMod().request({
      host: stripBrackets(proxy.hostname), port: Number(proxy.port || 80), method: 'CONNECT', path: authority, headers, agent: false,
    });
    opts.track(req);
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new ShimError(`aws-oidc-go/native: the proxy ${proxy.host} refused CONNECT ${authority}: HTTP ${res.statusCode}`));
        return;
      }
      // host: the target, whose name or IP the certificate must carry (with
      // no servername, for an IP, node would check it against 'localhost').
      resolve(tlsMod().connect({ socket, host, servername, ca: opts.ca, ALPNProtocols: ['http/1.1'] }));
    });
    req.on('error', (e) => reject(new ShimError(`aws-oidc-go/native: the proxy ${proxy.host}: ${e.message}`)));
    req.end();
  });
}

/**
 * download GETs url over https only (redirects too, at most
 * limits.redirects), through the proxy the environment names, refusing a
 * body over limits.compressedBytes, all within limits.timeoutMs.
 */
async function download(url, { env = process.env, ca, limits = LIMITS } = {}) {
  const live = new Set();
  const track = (x) => { live.add(x); return x; };
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      for (const x of live) x.destroy();
      reject(new ShimError(`aws-oidc-go/native: downloading ${redact(url)} took longer than ${limits.timeoutMs / 1000}s`));
    }, limits.timeoutMs);
  });
  try {
    return await Promise.race([timeout, (async () => {
      let current = url;
      for (let hop = 0; ; hop++) {
        const target = parseURL(current);
        if (!target || target.protocol !== 'https:') {
          throw new ShimError(`aws-oidc-go/native: refusing ${hop ? 'a redirect to ' : ''}${redact(current)}: the binary is fetched over https only`);
        }
        const res = await get(target, proxyFor(target, env), { ca, track, limits });
        if ([301, 302, 303, 307, 308].includes(res.status)) {
          if (hop >= limits.redirects) throw new ShimError(`aws-oidc-go/native: more than ${limits.redirects} redirects from ${redact(url)}`);
          if (!res.location) throw new ShimError(`aws-oidc-go/native: a redirect without Location from ${redact(current)}`);
          current = new URL(res.location, target).toString();
          continue;
        }
        if (res.status !== 200) throw new ShimError(`aws-oidc-go/native: GET ${redact(current)}: HTTP ${res.status}`);
        return res.body;
      }
    })()]);
  } finally {
    clearTimeout(timer);
    for (const x of live) x.destroy();
  }
}

/** redact drops query and userinfo (signed redirect URLs) from a URL for messages. */
function redact(u) {
  const p = parseURL(u);
  if (!p) return JSON.stringify(String(u).slice(0, 200));
  return `${p.protocol}//${p.host}${p.pathname}`;
}

function get(target, proxy, { ca, track, limits }) {
  return connect(target, proxy, { ca, track }).then((socket) => new Promise((resolve, reject) => {
    track(socket);
    // HTTP/1.1 over the TLS socket just opened (directly or through CONNECT).
    const req = httpMod().request({
      path: target.pathname + target.search, method: 'GET',
      headers: { Host: target.host, 'User-Agent': 'aws-oidc-go-native', Accept: 'application/octet-stream', Connection: 'close' },
      createConnection: () => socket,
    });
    track(req);
    req.on('error', (e) => reject(e instanceof ShimError ? e : new ShimError(`aws-oidc-go/native: GET ${redact(target.toString())}: ${e.message}`)));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ status: res.statusCode, location: res.headers.location });
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (declared > limits.compressedBytes) {
        res.destroy();
        reject(new ShimError(`aws-oidc-go/native: ${redact(target.toString())} is ${declared} bytes, more than the ${limits.compressedBytes} allowed`));
        return;
      }
      const chunks = [];
      let n = 0;
      res.on('data', (c) => {
        n += c.length;
        if (n > limits.compressedBytes) {
          res.destroy();
          reject(new ShimError(`aws-oidc-go/native: ${redact(target.toString())} is more than the ${limits.compressedBytes} bytes allowed`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: 200, body: Buffer.concat(chunks) }));
      res.on('error', (e) => reject(new ShimError(`aws-oidc-go/native: reading ${redact(target.toString())}: ${e.message}`)));
    });
    req.end();
  }));
}

/** gunzip decompresses the asset, refusing more than max bytes. */
function gunzip(gz, max, what) {
  try {
    return zlibMod().gunzipSync(gz, { maxOutputLength: max });
  } catch (e) {
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new ShimError(`aws-oidc-go/native: ${what} unpacks to more than the ${max} bytes a binary may have`);
    throw new ShimError(`aws-oidc-go/native: ${what} is not a gzip file: ${e.message}`);
  }
}

/** downloadBase: AWS_OIDC_GO_DOWNLOAD_URL, or the action repository's release on github.com. */
function downloadBase(env, actionDir, tag) {
  if (env.AWS_OIDC_GO_DOWNLOAD_URL) return env.AWS_OIDC_GO_DOWNLOAD_URL.replace(/\/+$/, '');
  const repo = actionRepository(env, actionDir);
  if (!repo) {
    throw new ShimError('aws-oidc-go/native: cannot tell which repository this action comes from (GITHUB_ACTION_REPOSITORY is unset); ' +
      'set AWS_OIDC_GO_DOWNLOAD_URL to the base URL of the release assets');
  }
  return `https://github.com/${repo}/releases/download/${tag}`;
}

const REPO_RE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/** actionRepository: owner/repo from GITHUB_ACTION_REPOSITORY, else from the runner's _actions/<owner>/<repo>/<ref>/native path. */
function actionRepository(env, actionDir) {
  if (REPO_RE.test(env.GITHUB_ACTION_REPOSITORY || '')) return env.GITHUB_ACTION_REPOSITORY;
  const parts = path.resolve(actionDir).split(path.sep);
  const i = parts.lastIndexOf('_actions');
  if (i >= 0 && parts.length >= i + 4) {
    const repo = `${parts[i + 1]}/${parts[i + 2]}`;
    if (REPO_RE.test(repo)) return repo;
  }
  return '';
}

/**
 * verifiedBinary returns the binary this release names for this platform,
 * checked against the committed digest: from the tool cache as a verified
 * private copy (copy), else downloaded (and cached) as bytes.
 */
async function verifiedBinary({ actionDir, env, platform, arch, ca, limits = LIMITS, log }) {
  const p = goPlatform(platform, arch);
  const { tag, digests } = readRelease(actionDir);
  const expected = digests[p.binary];
  if (!expected) throw new ShimError(`aws-oidc-go/native: native/checksums.txt has no line for ${p.binary}`);
  const cache = env.RUNNER_TOOL_CACHE ? cachePaths(env.RUNNER_TOOL_CACHE, tag, p) : null;
  if (cache && fs.existsSync(cache.marker) && fs.existsSync(cache.file)) {
    // A regular cached file must match (a mismatch fails the step); junk
    // that is not one (a FIFO, a link to /dev/zero) is replaced by a download.
    let copy;
    try {
      copy = copyVerified(cache.file, expected, p.binary, env, limits.binaryBytes);
    } catch (e) {
      if (e.code === 'ENOENT') {
        // Gone since existsSync (another job's cache write): download.
      } else if (e instanceof NotRegular) {
        log(`::warning::aws-oidc-go/native: the cached ${p.binary} ${escapeData(cache.file)} is not a regular file: downloading it again`);
      } else {
        throw e;
      }
    }
    if (copy) return { copy, p, tag, digest: expected, from: cache.file };
  }
  const url = `${downloadBase(env, actionDir, tag)}/${p.binary}.gz`;
  const gz = await download(url, { env, ca, limits });
  const bytes = gunzip(gz, limits.binaryBytes, redact(url));
  verify(bytes, expected, `the downloaded binary ${redact(url)}`);
  if (cache) writeCache(cache, bytes, log);
  return { bytes, p, tag, digest: expected, from: redact(url) };
}

/**
 * privateCopy writes the verified bytes into a new directory only this
 * user can enter (mkdtemp in RUNNER_TEMP, mode 0700) and returns the
 * file's path: the file that runs is the one written from the hashed bytes.
 */
function privateCopy(bytes, binary, env) {
  const { dir, id } = privateDir(env);
  const file = path.join(dir, binary);
  const out = fs.openSync(file, 'wx', 0o700);
  let written;
  try {
    for (let off = 0; off < bytes.length;) off += fs.writeSync(out, bytes, off);
    written = fs.fstatSync(out);
  } finally {
    fs.closeSync(out);
  }
  return { dir, file, ids: [id, identity(written)] };
}

/**
 * privateDir makes a new directory only this user can enter (mkdtemp in
 * RUNNER_TEMP, mode 0700), after checkTempBase has accepted RUNNER_TEMP;
 * the directory is made under RUNNER_TEMP's real path (links resolved).
 */
function privateDir(env) {
  const base = checkTempBase(env.RUNNER_TEMP || os.tmpdir(), env);
  const dir = fs.mkdtempSync(path.join(base, PRIVATE_PREFIX));
  fs.chmodSync(dir, 0o700);
  const st = fs.lstatSync(dir);
  const problem = dirProblem(dir, st, PRESETS.private, trustedOwners(env));
  if (problem) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new ShimError(`aws-oidc-go/native: the private directory ${dir} just made fails its check: ${problem}`);
  }
  return { dir, id: identity(st) };
}

const PRIVATE_PREFIX = 'aws-oidc-go-native-';

/**
 * The directory presets, named as the Go side names them (package filesafe:
 * PrivateDir, ClosedDir, StickyParent; a Go test compares the two):
 *  - private: a directory only its user can enter or change (0700 or
 *    less), owned by the user itself: the private copy's directory;
 *  - closed: a directory nobody but its trusted owner can write (no group
 *    or other write bits): where a file with a fixed name is trusted;
 *  - sticky-parent: closed, or with the sticky bit (like /tmp), which
 *    keeps others from renaming or removing what they do not own, so it is
 *    acceptable above a fresh child made by mkdtemp: RUNNER_TEMP and every
 *    directory above it.
 * open: permission bits that must be clear; sticky: the sticky bit excuses
 * them; trusted: owners other than the user (root, and GITHUB_WORKSPACE's
 * owner when the user is root) pass too.
 */
const PRESETS = Object.freeze({
  private: Object.freeze({ name: 'private', open: 0o077, sticky: false, trusted: false }),
  closed: Object.freeze({ name: 'closed', open: 0o022, sticky: false, trusted: true }),
  stickyParent: Object.freeze({ name: 'sticky-parent', open: 0o022, sticky: true, trusted: true }),
});

const S_ISVTX = 0o1000;

/**
 * trustedOwners: the user ids a directory on the way to the binary may
 * belong to — this user (the effective uid), root, and, when this user is
 * root (container jobs, Kubernetes mode: the job's container runs as root
 * on directories the runner's user owns), the owner of GITHUB_WORKSPACE.
 * The first is the user itself. Null where there are no numeric owners
 * (Windows).
 */
function trustedOwners(env, platform = process.platform) {
  if (platform === 'win32' || typeof process.geteuid !== 'function') return null;
  const uid = process.geteuid();
  const owners = [uid];
  if (uid !== 0) owners.push(0);
  if (uid === 0 && env.GITHUB_WORKSPACE) {
    try {
      const ws = fs.statSync(env.GITHUB_WORKSPACE).uid;
      if (!owners.includes(ws)) owners.push(ws);
    } catch { /* no workspace: root alone */ }
  }
  return owners;
}

/**
 * dirProblem says why dir (st: its lstat) fails preset for these owners,
 * or returns null. owners null (Windows): only the link and directory
 * checks apply — node can see neither owners nor ACLs there.
 */
function dirProblem(dir, st, preset, owners) {
  if (st.isSymbolicLink()) return `${dir} is a symbolic link or junction`;
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (!owners) return null;
  const allowed = preset.trusted ? owners : owners.slice(0, 1);
  if (!allowed.includes(st.uid)) {
    return `${dir} is owned by uid ${st.uid}, not by ${allowed.map((u) => `uid ${u}`).join(' or ')}`;
  }
  const open = st.mode & preset.open;
  if (open && !(preset.sticky && (st.mode & S_ISVTX))) {
    const mode = (st.mode & 0o7777).toString(8).padStart(3, '0');
    if ((preset.open & 0o070) === 0o070) return `${dir} is open to group or others (mode ${mode})`;
    return `${dir} is writable by group or others${preset.sticky ? ' without the sticky bit' : ''} (mode ${mode})`;
  }
  return null;
}

/**
 * checkTempBase applies the temp-directory rule to base (RUNNER_TEMP) and
 * returns its real path, where the private directory is made: base and
 * every directory above it pass the sticky-parent preset — owned by this
 * user, root, or (when this user is root) GITHUB_WORKSPACE's owner, and
 * not writable by group or others unless sticky. Whoever else could write
 * one of them, or owns one, could rename the fresh private directory away
 * between the digest check and the exec and put their own program in its
 * place, which would run with this step's environment (the ID token
 * request token). On Windows node sees no owners or ACLs: only links and
 * junctions along the path are refused (each component is lstat'ed, and
 * libuv reports a junction as a link); what keeps others out is the ACL
 * RUNNER_TEMP inherits from the runner's work directory. A ShimError
 * names the directory that fails.
 */
function checkTempBase(base, env, { platform = process.platform, owners = trustedOwners(env, platform) } = {}) {
  const given = path.resolve(base);
  let real = given;
  if (platform !== 'win32') {
    try {
      real = fs.realpathSync(given);
    } catch (e) {
      throw new ShimError(`aws-oidc-go/native: RUNNER_TEMP ${given}: ${e.message}`);
    }
  }
  for (let d = real; ; d = path.dirname(d)) {
    let st;
    try {
      st = fs.lstatSync(d);
    } catch (e) {
      throw new ShimError(`aws-oidc-go/native: RUNNER_TEMP ${given}: ${e.message}`);
    }
    const problem = dirProblem(d, st, PRESETS.stickyParent, owners);
    if (problem) {
      const who = owners ? `owned by ${owners.map((u) => `uid ${u}`).join(', ')} and not writable by group or others unless sticky (like /tmp)`
        : 'real directories, no links or junctions';
      throw new ShimError(`aws-oidc-go/native: refusing RUNNER_TEMP ${given}${real !== given ? ` (${real})` : ''}: ${problem}. ` +
        'Another user could swap the private copy of the binary there between its check and its run. ' +
        `RUNNER_TEMP and every directory above it must be ${who}`);
    }
    if (path.dirname(d) === d) break;
  }
  return real;
}

/** identity: what names one file (device and inode; Windows has them too). */
function identity(st) { return `${st.dev}:${st.ino}`; }

/**
 * stillOurs checks, just before the exec, that the private directory and
 * the binary in it are the ones written (same device and inode); with
 * RUNNER_TEMP accepted by checkTempBase nobody else can change that, so
 * this only turns a broken promise into a refusal.
 */
function stillOurs(copy) {
  if (!copy.ids) return;
  const [dirId, fileId] = copy.ids;
  const now = [fs.lstatSync(copy.dir), fs.lstatSync(copy.file)];
  if (!now[0].isDirectory() || identity(now[0]) !== dirId || !now[1].isFile() || identity(now[1]) !== fileId) {
    throw new ShimError(`aws-oidc-go/native: the private copy ${copy.file} was replaced after it was checked; refusing to run it`);
  }
}

/**
 * hooks: test seams. afterCopy(copy) runs between the verified private
 * copy's writing and its exec (the window a swap would use).
 */
const hooks = { afterCopy: null };

/** escapeData escapes a workflow command's message (%, CR, LF). */
function escapeData(s) {
  return String(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** exec runs file with args, env and the step's stdio; resolves to the exit code. */
function exec(file, args, env) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', env, windowsHide: true });
    const forward = (sig) => () => { try { child.kill(sig); } catch { /* gone */ } };
    const handlers = { SIGINT: forward('SIGINT'), SIGTERM: forward('SIGTERM') };
    for (const [sig, h] of Object.entries(handlers)) process.on(sig, h);
    const done = (code) => {
      for (const [sig, h] of Object.entries(handlers)) process.removeListener(sig, h);
      resolve(code);
    };
    child.on('error', (e) => { process.stdout.write(`::error::aws-oidc-go/native: running ${escapeData(file)}: ${escapeData(e.message)}\n`); done(1); });
    child.on('exit', (code, signal) => done(code === null ? (signal ? 128 + (os.constants.signals[signal] || 0) : 1) : code));
  });
}

/** ownPrivateDir: whether dir is a directory this shim made (mkdtemp in RUNNER_TEMP, or its real path, with its prefix). */
function ownPrivateDir(dir, env) {
  const base = path.resolve(env.RUNNER_TEMP || os.tmpdir());
  let real = base;
  try { real = fs.realpathSync(base); } catch { /* compared as given */ }
  const d = path.resolve(dir);
  return (path.dirname(d) === base || path.dirname(d) === real) && path.basename(d).startsWith(PRIVATE_PREFIX);
}

/** removeDir removes a private directory this shim made (state from the main step), if it is one. */
function removeDir(dir, env) {
  if (!ownPrivateDir(dir, env)) return;
  fs.rmSync(path.resolve(dir), { recursive: true, force: true });
}

/**
 * mainStepCopy returns the main step's verified copy of the binary for the
 * post step to run, after checking it again: the directory the main step
 * left in its state is one this shim makes, in a RUNNER_TEMP that passes
 * checkTempBase, a real directory (not a link) passing the private preset
 * (where there are owners and modes, not Windows: this user's, no group or
 * other bits); the binary in it is a regular file whose sha256 is the
 * committed digest. Anything else throws: the post step then fetches the
 * binary as the main step does.
 */
function mainStepCopy(dir, { actionDir, platform, arch, env, limits }) {
  const p = goPlatform(platform, arch);
  const { tag, digests } = readRelease(actionDir);
  const expected = digests[p.binary];
  if (!expected) throw new ShimError(`native/checksums.txt has no line for ${p.binary}`);
  if (!ownPrivateDir(dir, env)) throw new ShimError(`${dir} is not a directory this action makes`);
  checkTempBase(path.dirname(path.resolve(dir)), env);
  const st = fs.lstatSync(dir);
  const problem = dirProblem(dir, st, PRESETS.private, trustedOwners(env));
  if (problem) throw new ShimError(problem);
  const file = path.join(dir, p.binary);
  const fd = openRegular(file, limits.binaryBytes);
  let actual;
  let fst;
  try {
    actual = hashFile(fd, file, limits.binaryBytes);
    fst = fs.fstatSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (actual !== expected) throw new ShimError(`${file} has sha256 ${actual}, not the committed ${expected}`);
  return { file, p, tag, digest: expected, copy: { dir, file, ids: [identity(st), identity(fst)] } };
}

/**
 * run is the action's main or post step: stage 'main' runs the binary as
 * the main step, 'post' runs `aws-oidc-go post`. Resolves to the exit code.
 * The post step runs the main step's private copy when it still checks out
 * (mainStepCopy), so a download failing then cannot keep the cleanup from
 * running; else it fetches and verifies the binary as the main step does.
 * It always removes the main step's copy and its own at the end.
 */
async function run(stage, { actionDir = __dirname, env = process.env, platform = process.platform, arch = process.arch, ca, limits = LIMITS, out = process.stdout } = {}) {
  const log = (line) => out.write(line + '\n');
  const mainDir = stage === 'post' ? env[`STATE_${STATE_DIR}`] : '';
  let copy;
  try {
    try {
      if (mainDir) {
        try {
          const bin = mainStepCopy(mainDir, { actionDir, platform, arch, env, limits });
          copy = bin.copy;
          log(`aws-oidc-go/native: ${bin.p.binary} ${bin.tag}, sha256 ${bin.digest} as committed, the main step's copy ${escapeData(bin.file)}`);
        } catch (e) {
          log(`::warning::aws-oidc-go/native: not running the main step's copy of the binary: ${escapeData(e.message)}; fetching it again`);
        }
      }
      if (!copy) {
        const bin = await verifiedBinary({ actionDir, env, platform, arch, ca, limits, log });
        copy = bin.copy || privateCopy(bin.bytes, bin.p.binary, env);
        log(`aws-oidc-go/native: ${bin.p.binary} ${bin.tag}, sha256 ${bin.digest} as committed, from ${escapeData(bin.from)}`);
        if (stage === 'main' && env.GITHUB_STATE) {
          fs.appendFileSync(env.GITHUB_STATE, `${STATE_DIR}=${copy.dir}\n`);
        }
      }
    } catch (e) {
      if (!(e instanceof ShimError)) e = new ShimError(`aws-oidc-go/native: ${e.message}`);
      log(`::error::${escapeData(e.message)}`);
      return 1;
    }
    try {
      if (hooks.afterCopy) hooks.afterCopy(copy);
      stillOurs(copy);
    } catch (e) {
      if (!(e instanceof ShimError)) e = new ShimError(`aws-oidc-go/native: ${e.message}`);
      log(`::error::${escapeData(e.message)}`);
      return 1;
    }
    const childEnv = { ...env, [HOST_SIGNAL]: 'host' };
    return await exec(copy.file, stage === 'post' ? ['post'] : [], childEnv);
  } finally {
    if (stage === 'post') {
      // The post step's copy, and the main step's (credential_process runs
      // the binary's own copy in its run directory, never this one).
      for (const d of [copy && copy.dir, mainDir]) {
        if (d) { try { removeDir(d, env); } catch { /* the runner empties RUNNER_TEMP anyway */ } }
      }
    }
  }
}

module.exports = {
  HOST_SIGNAL, LIMITS, ShimError, goPlatform, readRelease, cachePaths, proxyFor, download, gunzip,
  verifiedBinary, privateCopy, downloadBase, actionRepository, run, sha256,
  PRESETS, trustedOwners, dirProblem, checkTempBase, hooks,
};
