// The same package from CommonJS TypeScript (`require`); type-checked, never run.
import sandgate = require('sandgate');

export function check(): string {
  const keys = sandgate.SigningKeys.fromFlag('a=bXktdGVzdC1zZWNyZXQ=');
  const route = new sandgate.RouteSigner(keys, 'a').sign('sbx-001', 8080, 2_000_000_000);
  const err: sandgate.SandgateError = new sandgate.InvalidArgument('x');
  const client: sandgate.Client = new sandgate.Client({ domain: 'localhost:8080' });
  return route.token + err.kind + client.baseUrl;
}
