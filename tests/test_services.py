"""Start-up wiring: every fixed text is pre-rendered, recorded prompts replace TTS."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dialog.intents import load_knowledge_base
from ivr.media.codecs import mulaw_decode
from ivr.prompt_cache import PromptCache
from ivr.services import recordings_for, spoken_texts
from ivr.tts import TtsSynthesizer
from pcm.files import write_wav
from tests.conftest import REPO


def test_spoken_texts_cover_prompts_answers_and_every_transfer() -> None:
    kb = load_knowledge_base(REPO / "intents.yaml")
    texts = spoken_texts(kb)
    assert kb.prompts["greeting"] in texts
    assert all(i.answer in texts for i in kb.intents.values() if i.answer)
    for dept in kb.departments.values():
        assert kb.prompt("transfer", department=dept.name) in texts
    assert len(texts) == len(set(texts))


def test_recorded_greeting_in_intents_yaml_replaces_tts(tmp_path: Path) -> None:
    rate = 16000
    tone = (8000 * np.sin(2 * np.pi * 1000 * np.arange(rate // 2) / rate)).astype(np.int16)
    write_wav(tmp_path / "greeting.wav", tone, rate)
    yaml_text = (REPO / "intents.yaml").read_text(encoding="utf-8")
    assert "\nprompt_audio: {}\n" in yaml_text
    kb_path = tmp_path / "intents.yaml"
    kb_path.write_text(yaml_text.replace("\nprompt_audio: {}\n",
                                         "\nprompt_audio:\n  greeting: greeting.wav\n"),
                       encoding="utf-8")
    kb = load_knowledge_base(kb_path)
    recordings = recordings_for(kb)
    assert recordings == {kb.prompts["greeting"]: tmp_path / "greeting.wav"}

    cache = PromptCache(tmp_path / "cache", TtsSynthesizer(), voice="sit/cmn-latn-pinyin",
                        rate=170, recordings=recordings)
    audio = mulaw_decode(cache.get(kb.prompts["greeting"]))
    assert len(audio) == 4000  # 0.5 s at 8 kHz: the recording, not speech
    spectrum = np.abs(np.fft.rfft(audio.astype(float)))
    assert abs(np.argmax(spectrum) * 8000 / len(audio) - 1000) < 20
