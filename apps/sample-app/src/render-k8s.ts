import { fileURLToPath } from 'node:url';
import { renderK8s } from './k8s-stack.js';

// `pnpm k8s:render`: the sample app's manifests into k8s/ (next to dist/).
const dir = fileURLToPath(new URL('../k8s', import.meta.url));
const written = renderK8s(dir);
process.stdout.write(`wrote ${written.length} files to k8s/\n`);
