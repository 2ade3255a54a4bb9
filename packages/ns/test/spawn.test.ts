import { spawnSyncLibc } from '../src/index.js';
import { spawnCases } from './spawn-cases.js';

// Imported from source, as a library user does: no cni_sys.node staged, so koffi.
spawnCases('koffi', () => spawnSyncLibc);
