// The canonical 44-byte RIFF/WAVE header, the one writer of it (pcm.ts reads WAV headers): for the
// tests' WAV inputs, the bench's WAV for aubionotes and the README's example.

export interface WavHeaderOptions {
  rate: number;
  channels: number;
  bits: number;
  /** 1: integer PCM, 3: IEEE float. */
  formatTag?: number;
  dataBytes: number;
  /** The data size the header claims, when a test wants it to lie (default: dataBytes). */
  declaredDataBytes?: number;
}

export function wavHeader(o: WavHeaderOptions): Uint8Array {
  const h = new Uint8Array(44);
  const v = new DataView(h.buffer);
  const tag = (at: number, s: string) => { for (let i = 0; i < 4; i++) h[at + i] = s.charCodeAt(i); };
  const frameBytes = o.channels * (o.bits / 8);
  tag(0, 'RIFF'); v.setUint32(4, 36 + o.dataBytes, true); tag(8, 'WAVE');
  tag(12, 'fmt '); v.setUint32(16, 16, true);
  v.setUint16(20, o.formatTag ?? 1, true); v.setUint16(22, o.channels, true);
  v.setUint32(24, o.rate, true); v.setUint32(28, o.rate * frameBytes, true);
  v.setUint16(32, frameBytes, true); v.setUint16(34, o.bits, true);
  tag(36, 'data'); v.setUint32(40, o.declaredDataBytes ?? o.dataBytes, true);
  return h;
}
