// midi-writer-js ships types but its package.json "exports" hides them from NodeNext resolution.
declare module 'midi-writer-js' {
  const MidiWriter: typeof import('../node_modules/midi-writer-js/build/types/main.js').default;
  export default MidiWriter;
}
