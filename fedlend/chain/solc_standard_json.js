// Compile solc standard JSON read on stdin with solc-js; print the standard-JSON output on stdout.
// `node solc_standard_json.js --version` prints the compiler version instead.
const solc = require('solc');

if (process.argv.includes('--version')) {
  process.stdout.write(solc.version() + '\n');
} else {
  const chunks = [];
  process.stdin.on('data', (chunk) => chunks.push(chunk));
  process.stdin.on('end', () => {
    process.stdout.write(solc.compile(Buffer.concat(chunks).toString('utf8')));
  });
}
