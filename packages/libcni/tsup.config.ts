import { cniPackage } from '@cni-internal/tsup-config';

export default cniPackage();
