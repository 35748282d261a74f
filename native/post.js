'use strict';
// The post step of uses: org/aws-oidc-go/native@v1: the binary's own post
// step (aws-oidc-go post), verified and run like the main step (see shim.js).
require('./shim').run('post').then((code) => { process.exitCode = code; });
