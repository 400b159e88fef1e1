// The GraphQL-over-HTTP audit (npm graphql-http) against a running server: node graphql-http-audit.mjs <url>
// Prints every result; exits 1 on any warning or error (CI wants all of them ok).
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http-audit.mjs <url>');
  process.exit(2);
}
const results = await auditServer({ url });
const counts = { ok: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== 'ok') {
    let detail = result.reason;
    if (result.response) {
      try {
        detail += ` [${result.response.status} ${result.response.headers.get('content-type')}]`;
      } catch {}
    }
    console.log(`${result.status.toUpperCase()} ${result.name}: ${detail}`);
  }
}
console.log(`graphql-http audit: ${counts.ok} ok, ${counts.warn} warnings, ${counts.error} errors of ${results.length}`);
process.exit(counts.warn || counts.error ? 1 : 0);
