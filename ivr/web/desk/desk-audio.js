// The desk's audio bridge, run in the AudioWorklet (the audio thread): the call's side of the
// websocket is 8 kHz 16-bit PCM, the browser's audio runs at the context's rate (usually
// 48 kHz), so both directions resample here, off the page's main thread.

const CALL_RATE = 8000;
const FRAME = 160; // 20 ms at 8 kHz: the frames the desk sends

// Microphone → 8 kHz PCM16 frames (posted to the page, which sends them on the websocket).
// Each output sample is the mean of the input samples it spans: a box low-pass that keeps
// most of the aliasing of a plain decimation out of the phone band.
class DeskCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / CALL_RATE; // input samples per output sample
    this.acc = 0;
    this.n = 0;
    this.pos = 0;
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      this.acc += channel[i];
      this.n += 1;
      this.pos += 1;
      if (this.pos >= this.step) {
        this.pos -= this.step;
        const v = Math.max(-1, Math.min(1, this.acc / this.n));
        this.acc = 0;
        this.n = 0;
        this.frame[this.filled++] = v < 0 ? v * 0x8000 : v * 0x7fff;
        if (this.filled === FRAME) {
          this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
          this.frame = new Int16Array(FRAME);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

// 8 kHz PCM16 from the caller (posted by the page) → the context's rate, by linear
// interpolation. A short backlog is kept; beyond ~0.5 s the oldest audio is dropped, since a
// late voice is worse in a conversation than a gap.
class DeskPlayback extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = CALL_RATE / sampleRate; // call samples per output sample
    this.queue = [];
    this.queued = 0;
    this.current = null;
    this.index = 0; // fractional read position in `current`
    this.last = 0;
    this.maxQueued = CALL_RATE / 2;
    this.port.onmessage = (event) => {
      const pcm = new Int16Array(event.data);
      const samples = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 0x8000;
      this.queue.push(samples);
      this.queued += samples.length;
      while (this.queued > this.maxQueued && this.queue.length > 1) {
        this.queued -= this.queue.shift().length;
      }
    };
  }

  next() {
    while (!this.current || this.index >= this.current.length) {
      if (this.current) this.index -= this.current.length;
      this.current = this.queue.shift() || null;
      if (!this.current) { this.index = 0; return null; }
      this.queued -= this.current.length;
    }
    const i = Math.floor(this.index);
    const frac = this.index - i;
    const a = this.current[i];
    const b = i + 1 < this.current.length ? this.current[i + 1] : (this.queue[0] ? this.queue[0][0] : a);
    this.index += this.step;
    return a + (b - a) * frac;
  }

  process(inputs, outputs) {
    const out = outputs[0][0];
    for (let i = 0; i < out.length; i++) {
      const v = this.next();
      this.last = v === null ? this.last * 0.9 : v; // fade out on underrun, no click
      out[i] = this.last;
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    return true;
  }
}

registerProcessor("desk-capture", DeskCapture);
registerProcessor("desk-playback", DeskPlayback);
