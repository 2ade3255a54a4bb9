export { destroyNetNS, makeNetNS, type TestNetNS, withNetNS } from './netns.js';
