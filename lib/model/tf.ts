// TensorFlow.js as melodyfilter uses it: the core, the layers API and the plain-JS CPU backend
// (backend.ts adds WebAssembly, and tfjs-node when installed). Not the @tensorflow/tfjs umbrella:
// it also installs WebGL, the graph-model converter and tfjs-data, 286 MB that no path here loads.
// Imported only where a network is built or run in tfjs; the default wasm kernel never loads it.
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
