// IPAM delegation for the Windows plugins: only what this invocation allocated is released.
import { CniError, delegateAdd, delegateDel, delegateStatus, ErrCode, type Result } from '@cni/skel';

export interface IpamDelegate {
  add(type: string, stdin: Buffer): Promise<Result>;
  del(type: string, stdin: Buffer): Promise<void>;
  status(type: string, stdin: Buffer): Promise<void>;
}

/** Exec (or run in process) the IPAM plugin found in CNI_PATH, with the identical stdin. */
export const execIpam: IpamDelegate = {
  add: (t, s) => delegateAdd(t, s),
  del: (t, s) => delegateDel(t, s),
  status: (t, s) => delegateStatus(t, s),
};

export class IpamSession {
  private allocated = false;

  constructor(
    readonly type: string,
    readonly stdin: Buffer,
    readonly ipam: IpamDelegate,
  ) {}

  /** IPAM ADD; returns the first address (`ip/prefix`). */
  async add(): Promise<string> {
    const r = await this.ipam.add(this.type, this.stdin);
    this.allocated = true;
    const address = r.ips?.[0]?.address;
    if (!address) throw new CniError(ErrCode.Internal, 'IPAM plugin return is missing IP config');
    return address;
  }

  /** After a failed ADD: IPAM DEL, only if this ADD allocated; its own error is ignored. */
  async rollback(): Promise<void> {
    if (!this.allocated) return;
    this.allocated = false;
    try {
      await this.ipam.del(this.type, this.stdin);
    } catch {
      // the ADD error is the one to report
    }
  }
}
