import { pluginMain } from '@cni/skel';
import { plugin } from './index.js';

pluginMain(plugin);
