import { cniPackage } from '@cni-internal/tsup-config';

export default cniPackage({ bin: { main: 'src/main.ts' } });
