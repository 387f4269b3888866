// One implementation for the tests and `npm run cluster`.
export { freePort } from '../../deploy/local/ports';
