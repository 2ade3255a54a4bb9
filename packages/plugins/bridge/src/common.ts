// Pieces of every verb: the undo list of ADD, opening namespaces with the reference's
// messages, IPAM forwarding.
import { isNSPathNotExist, NetNS } from '@cni/ns';
import { CniError, delegateGC, delegateStatus, ErrCode, type NetConf } from '@cni/skel';

/** Undo actions of an ADD, run newest first when a later step fails. */
export class Rollback {
  #steps: { what: string; fn: () => unknown }[] = [];

  push(what: string, fn: () => unknown): void {
    this.#steps.push({ what, fn });
  }

  /** Run every undo action; their errors go to stderr and never hide the original error. */
  async run(): Promise<void> {
    const steps = this.#steps.reverse();
    this.#steps = [];
    for (const s of steps) {
      try {
        await s.fn();
      } catch (e) {
        process.stderr.write(`rollback: ${s.what}: ${msg(e)}\n`);
      }
    }
  }
}

export const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Wrap anything thrown as a CNI error 999 with a prefix (CniErrors pass through). */
export function internal(prefix: string, e: unknown): CniError {
  if (e instanceof CniError) return e;
  return new CniError(ErrCode.Internal, prefix ? `${prefix}: ${msg(e)}` : msg(e));
}

export function openNetNS(path: string): NetNS {
  try {
    return NetNS.open(path);
  } catch (e) {
    throw new CniError(ErrCode.InvalidNetNS, `failed to open netns ${JSON.stringify(path)}: ${msg(e)}`);
  }
}

/** For DEL: undefined when the namespace is gone (DEL then only releases IPAM). */
export function openNetNSForDel(path: string): NetNS | undefined {
  try {
    return NetNS.open(path);
  } catch (e) {
    if (isNSPathNotExist(e)) return undefined;
    throw new CniError(ErrCode.InvalidNetNS, `failed to open netns ${JSON.stringify(path)}: ${msg(e)}`);
  }
}

export async function forwardStatus(conf: NetConf, stdin: Buffer): Promise<void> {
  if (conf.ipam?.type) await delegateStatus(conf.ipam.type, stdin);
}

export async function forwardGC(conf: NetConf, stdin: Buffer): Promise<void> {
  if (conf.ipam?.type) await delegateGC(conf.ipam.type, stdin);
}
