'use strict';
// The main step of uses: org/aws-oidc-go/native@v1 (see shim.js).
require('./shim').run('main').then((code) => { process.exitCode = code; });
