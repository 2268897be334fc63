/** Drivers by `driver.kind` of the target file. */
import type { DriverSpec } from '../targets/external-config';
import { A10AxapiDriver } from './a10-axapi';
import type { DeviceDriver } from './driver';

export function makeDriver(spec: DriverSpec, env: NodeJS.ProcessEnv = process.env): DeviceDriver {
  switch (spec.kind) {
    case 'a10-axapi':
      return new A10AxapiDriver(spec, env);
  }
}
