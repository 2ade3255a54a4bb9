// firewall, firewalld backend over D-Bus: each container address is a source of a zone.
import { type FirewallConf, hostCIDR } from './config.js';
import { DBusConnection, DBusError } from './dbus.js';

const DBUS_NAME = 'org.freedesktop.DBus';
const DBUS_PATH = '/org/freedesktop/DBus';
export const FIREWALLD_NAME = 'org.fedoraproject.FirewallD1';
const FIREWALLD_PATH = '/org/fedoraproject/FirewallD1';
const ZONE_IFACE = 'org.fedoraproject.FirewallD1.zone';

function withBus<T>(fn: (c: DBusConnection) => T): T {
  const c = DBusConnection.system();
  try {
    return fn(c);
  } finally {
    c.close();
  }
}

/** Is firewalld on the system bus (GetNameOwner succeeds)? Never throws. */
export function isFirewalldRunning(): boolean {
  try {
    return withBus((c) => {
      c.call(DBUS_NAME, DBUS_PATH, DBUS_NAME, 'GetNameOwner', FIREWALLD_NAME);
      return true;
    });
  } catch {
    return false;
  }
}

export function addFirewalld(conf: FirewallConf): void {
  withBus((c) => {
    for (const a of conf.addresses) {
      const src = hostCIDR(a);
      try {
        c.call(FIREWALLD_NAME, FIREWALLD_PATH, ZONE_IFACE, 'addSource', conf.firewalldZone, src);
      } catch (err) {
        if (err instanceof DBusError && err.message.includes('ZONE_ALREADY_SET')) continue;
        throw new Error(
          `failed to add the address ${src} to ${conf.firewalldZone} zone: ${(err as Error).message}`,
        );
      }
    }
  });
}

export function delFirewalld(conf: FirewallConf): void {
  if (conf.addresses.length === 0) return;
  withBus((c) => {
    for (const a of conf.addresses) {
      try {
        c.call(FIREWALLD_NAME, FIREWALLD_PATH, ZONE_IFACE, 'removeSource', conf.firewalldZone, hostCIDR(a));
      } catch {
        // gone already, or never added: DEL succeeds (as the reference)
      }
    }
  });
}

export function checkFirewalld(conf: FirewallConf): void {
  withBus((c) => {
    for (const a of conf.addresses) {
      const src = hostCIDR(a);
      let found = false;
      try {
        found =
          c.call(FIREWALLD_NAME, FIREWALLD_PATH, ZONE_IFACE, 'querySource', conf.firewalldZone, src)[0] ===
          true;
      } catch {
        found = false;
      }
      // The reference only fails on a D-Bus error; an address that is not in the zone fails here too.
      if (!found) throw new Error(`failed to find the address ${src} in ${conf.firewalldZone} zone`);
    }
  });
}
