// Fails early with a readable line instead of an obscure syntax or engine error later.
const [major, minor] = process.versions.node.split('.').map(Number);
const ok = (major === 20 && minor >= 19) || major >= 22;
if (!ok) {
  console.error(`Node ${process.versions.node} is too old: this repository needs Node 20.19+ (or 22, 24).`);
  process.exit(1);
}
