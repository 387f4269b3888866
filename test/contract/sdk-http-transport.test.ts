import { transportContract } from './transport-contract';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3b3JrZXIifQ.not-a-real-signature-but-secret';

transportContract('HTTP (gatewayUrl + token)', {
  secret: TOKEN,
  options: (port) => ({ gatewayUrl: `http://127.0.0.1:${port}`, token: TOKEN }),
  where: (port) => `http://127.0.0.1:${port}`,
});
