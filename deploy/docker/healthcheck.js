// Container health probe without curl: GET http://127.0.0.1:$PORT<path>, exit 0 on 200, else 1.
// Usage: node deploy/docker/healthcheck.js [/healthz|/readyz]
'use strict';
const http = require('node:http');

const path = process.argv[2] || '/healthz';
const port = Number(process.env.PORT || 8080);
const request = http.get({ host: '127.0.0.1', port, path, timeout: 2000 }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', () => process.exit(1));
