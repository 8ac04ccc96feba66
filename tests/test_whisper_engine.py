"""The real Whisper base engine on recorded hotline requests, 16 kHz and telephone 8 kHz."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from asr.base import ModelNotAvailable, Recognizer, RecognizerEngine
from asr.engines import load_engine
from asr.textnorm import scoring_text, to_simplified
from asr.whisper_engine import WhisperEngine
from asr.whisper_models import assemble_whisper_base
from pcm.files import read_audio
from pcm.resample import resample
from tests.transcripts import assert_transcript_close

HOTLINE = Path(__file__).resolve().parents[1] / "audio_fixtures" / "hotline"
# Normalised CER against the clip's reference. Measured on the dev box: A10 0.133, A07 0.0,
# A40 0.0, A10_tel8k 0.133, A07_tel8k 0.188 (the worst), A40_tel8k 0.0, the same in two threads.
MAX_CER = 0.35

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def whisper_engine(tmp_path_factory: pytest.TempPathFactory) -> WhisperEngine:
    """One real engine per test session (load_engine caches it per process)."""
    model_dir = assemble_whisper_base(tmp_path_factory.getbasetemp() / "whisper-base")
    engine = load_engine("whisper", model_dir=model_dir)
    assert isinstance(engine, WhisperEngine)
    return engine


def clip_16k(name: str) -> np.ndarray:
    samples, rate = read_audio(HOTLINE / f"{name}.wav")
    return samples if rate == 16000 else resample(samples, rate, 16000)


def reference(name: str) -> str:
    return (HOTLINE / f"{name}.txt").read_text(encoding="utf-8").strip()


def transcribe(recognizer: Recognizer, samples: np.ndarray, chunk: int = 320) -> str:
    for i in range(0, len(samples), chunk):
        assert recognizer.accept_audio(samples[i : i + chunk]) is None  # no partials
    return recognizer.finish().text


@pytest.mark.parametrize("name", ["A10", "A07", "A40", "A10_tel8k", "A07_tel8k", "A40_tel8k"])
def test_transcribes_hotline_clip(whisper_engine: WhisperEngine, name: str) -> None:
    samples = clip_16k(name)
    recognizer = whisper_engine.new_recognizer()
    recognizer.accept_audio(samples)
    result = recognizer.finish()
    assert_transcript_close(result.text, reference(name), MAX_CER, what=name)
    assert result.text == to_simplified(result.text)  # simplified script only
    assert result.text == result.text.strip() and result.text
    assert result.engine == "whisper"
    assert result.audio_s == pytest.approx(len(samples) / 16000)
    assert result.decode_s > 0
    assert result.confidence is not None and 0.0 < result.confidence <= 1.0


def test_engine_satisfies_the_interface(whisper_engine: WhisperEngine) -> None:
    engine: RecognizerEngine = whisper_engine
    assert (engine.name, engine.sample_rate) == ("whisper", 16000)
    recognizer: Recognizer = engine.new_recognizer(["转人工", "社保卡"])
    assert recognizer.sample_rate == 16000


def test_short_or_empty_audio_is_not_decoded(whisper_engine: WhisperEngine) -> None:
    recognizer = whisper_engine.new_recognizer()
    empty = recognizer.finish()
    assert (empty.text, empty.confidence, empty.audio_s, empty.decode_s) == ("", None, 0.0, 0.0)
    recognizer.accept_audio(clip_16k("A40")[:3000])  # 0.19 s
    short = recognizer.finish()
    assert (short.text, short.decode_s) == ("", 0.0)
    assert short.audio_s == pytest.approx(3000 / 16000)


def test_finish_starts_a_new_utterance_and_reset_drops_audio(whisper_engine: WhisperEngine) -> None:
    recognizer = whisper_engine.new_recognizer()
    recognizer.accept_audio(clip_16k("A07"))
    recognizer.reset()
    text = transcribe(recognizer, clip_16k("A40"))
    assert_transcript_close(text, reference("A40"), MAX_CER, what="A40 after reset")  # no A07
    assert recognizer.finish().text == ""  # the buffer was emptied by finish()


def test_rejects_non_int16_audio(whisper_engine: WhisperEngine) -> None:
    with pytest.raises(TypeError, match="int16"):
        whisper_engine.new_recognizer().accept_audio(np.zeros(320, dtype=np.float32))


def test_shared_model_decodes_from_two_threads(whisper_engine: WhisperEngine) -> None:
    names = ["A40", "A40_tel8k"]
    audio = [clip_16k(n) for n in names]

    def decode(samples: np.ndarray) -> str:
        return transcribe(whisper_engine.new_recognizer(), samples, chunk=4000)

    with ThreadPoolExecutor(max_workers=2) as pool:
        texts = list(pool.map(decode, audio))
    for name, text in zip(names, texts, strict=True):
        assert_transcript_close(text, reference(name), MAX_CER, what=f"{name}, two threads")


def test_a_server_s_engine_decodes_as_many_at_once_as_its_pool_runs(
        whisper_engine: WhisperEngine) -> None:
    """`parallel` (the server passes IVR_ASR_THREADS, its decode pool's size) gives the
    model that many CTranslate2 workers: concurrent decodes run side by side, not queued
    inside the model (docs/benchmarks.md, capacity). Two workers hear what one does."""
    two = load_engine("whisper", model_dir=whisper_engine.model_dir, parallel=2)
    assert two is not whisper_engine
    assert two.model.model.num_workers == 2  # type: ignore[attr-defined]
    assert whisper_engine.model.model.num_workers == 1
    assert load_engine("whisper", model_dir=whisper_engine.model_dir, parallel=2) is two
    with ThreadPoolExecutor(max_workers=2) as pool:
        texts = list(pool.map(lambda n: transcribe(two.new_recognizer(), clip_16k(n),
                                                   chunk=4000), ["A40", "A40_tel8k"]))
    for name, text in zip(["A40", "A40_tel8k"], texts, strict=True):
        assert_transcript_close(text, reference(name), MAX_CER, what=f"{name}, two workers")


def test_a_prompt_from_the_environment_reaches_the_decoder(
        whisper_engine: WhisperEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """IVR_WHISPER_PROMPT (off by default: docs/models.md) is a separate engine, and still
    hears the caller."""
    monkeypatch.setenv("IVR_WHISPER_PROMPT", "市民热线来电：社保卡、医保、公积金。")
    prompted = load_engine("whisper", model_dir=whisper_engine.model_dir)
    assert prompted is not whisper_engine and whisper_engine.initial_prompt is None
    assert isinstance(prompted, WhisperEngine)
    assert prompted.initial_prompt == "市民热线来电：社保卡、医保、公积金。"
    text = transcribe(prompted.new_recognizer(), clip_16k("A40_tel8k"), chunk=4000)
    assert_transcript_close(text, reference("A40_tel8k"), MAX_CER, what="A40_tel8k, prompted")


def test_the_bot_s_question_is_the_prompt_of_the_next_decodes(
        whisper_engine: WhisperEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A recognizer's context (the question the caller answers) reaches faster-whisper as
    the initial prompt of its decodes, and the caller is still heard; None clears it."""
    prompts: list[str | None] = []
    real = whisper_engine.model.transcribe

    def spy(*args: object, **kwargs: object) -> object:
        prompts.append(kwargs.get("initial_prompt"))  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(whisper_engine.model, "transcribe", spy)
    recognizer = whisper_engine.new_recognizer()
    recognizer.set_context("您是想咨询办事大厅的时间和地址吗？")
    text = transcribe(recognizer, clip_16k("A40_tel8k"), chunk=4000)
    assert_transcript_close(text, reference("A40_tel8k"), MAX_CER, what="A40_tel8k, in context")
    recognizer.set_context(None)
    transcribe(recognizer, clip_16k("A40_tel8k"), chunk=4000)
    assert prompts[0] == "您是想咨询办事大厅的时间和地址吗？" and prompts[-1] is None


ANSWERS = Path(__file__).resolve().parents[1] / "audio_fixtures" / "answers"
RATINGS = ("满意", "一般", "不满意", "1", "2", "3")


def answer_16k(name: str) -> np.ndarray:
    samples, rate = read_audio(ANSWERS / f"{name}.wav")
    return resample(samples, rate, 16000)


@pytest.fixture()
def steady_engine(whisper_engine: WhisperEngine, monkeypatch: pytest.MonkeyPatch
                  ) -> WhisperEngine:
    """The engine without its temperature fallback, which samples an unsure decode ("mae")
    at random: two decodes of one clip are then the same beam search, so a test can check
    that something left the transcript alone."""
    monkeypatch.setattr(whisper_engine, "fallback", False)
    return whisper_engine


# What each survey reply means: 满意 and 1 are the same rating (满意请按1), so the reply that
# wins need only mean what was said. Which of the two scores best over a garbled 按1 differs
# between machines (int8 numerics): 1 at -5.3 against 满意 at -4.65 on one, the other way round
# on another.
RATING_OF = {"满意": 1, "1": 1, "一般": 2, "2": 2, "不满意": 3, "3": 3}


@pytest.mark.parametrize(("name", "rating"), [("manyi_tel8k", 1), ("an1_tel8k", 1)])
def test_an_expected_reply_is_scored_against_the_audio(
        steady_engine: WhisperEngine, name: str, rating: int) -> None:
    """A short rating the phone band garbles (满意 heard as "mae", 按1 as 阿姨 on the dev
    box): of the replies the survey expects, the best one means the rating said, and it is
    offered as the transcript's last reading unless the transcript already says it."""
    whisper_engine = steady_engine
    samples = answer_16k(name)
    recognizer = whisper_engine.new_recognizer()
    plain = recognizer.decode_utterance(samples)
    best = whisper_engine.score_choices(samples.size, RATINGS)[0].text
    assert RATING_OF[best] == rating
    assert best not in plain.alternatives  # without choices nothing is added
    recognizer.set_choices(RATINGS)
    scored = recognizer.decode_utterance(samples)
    assert scored.text == plain.text  # the transcript itself never changes
    if best in scoring_text(scored.text):
        assert scored.alternatives == plain.alternatives
    else:
        assert scored.alternatives == (*plain.alternatives, best)
    recognizer.set_choices(None)
    assert recognizer.decode_utterance(samples).alternatives == plain.alternatives


def test_no_reply_is_offered_for_a_request(steady_engine: WhisperEngine) -> None:
    """A request heard after a confirmation keeps its transcript and readings: the yes/no
    replies score under the floor over a whole sentence, or the transcript says one."""
    samples = clip_16k("A10_tel8k")  # 我在外地住院花的钱，医保能报销吗？
    recognizer = steady_engine.new_recognizer()
    plain = recognizer.decode_utterance(samples)
    recognizer.set_choices(("是的", "不是", "对", "不对"))
    scored = recognizer.decode_utterance(samples)
    assert (scored.text, scored.alternatives) == (plain.text, plain.alternatives)


def test_load_engine_caches_and_refuses_unknown(whisper_engine: WhisperEngine) -> None:
    assert load_engine("whisper", model_dir=whisper_engine.model_dir) is whisper_engine
    with pytest.raises(ModelNotAvailable, match=r"ivr models pull vosk-model-small-cn-0\.22"):
        load_engine("vosk")
    with pytest.raises(ValueError, match="unknown ASR engine"):
        load_engine("kaldi")


def test_load_engine_auto_explains_missing_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_WHISPER_MODEL", "large-v3")
    with pytest.raises(ModelNotAvailable, match=r"no speech recognition engine.*hub"):
        load_engine("auto")


def _encoded_widths(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Spy on faster-whisper's encoder input: the mel frames of each window encoded."""
    from faster_whisper import WhisperModel

    widths: list[int] = []
    original = WhisperModel.encode

    def spy(self: WhisperModel, features: np.ndarray) -> object:
        widths.append(int(features.shape[-1]))
        return original(self, features)

    monkeypatch.setattr(WhisperModel, "encode", spy)
    return widths


def test_the_encoder_sees_a_10_s_window_and_long_speech_whole(
        whisper_engine: WhisperEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """By default a short question is encoded in 10 s (1000 mel frames), not Whisper's padded
    30 s (docs/benchmarks.md, "The encoder's window"); speech longer than the window keeps
    all of it plus 0.5 s, and still reads right (30 s: the same transcripts)."""
    widths = _encoded_widths(monkeypatch)
    assert whisper_engine.window_s == 10.0
    short = clip_16k("A40_tel8k")
    assert_transcript_close(transcribe(whisper_engine.new_recognizer(), short, chunk=4000),
                            reference("A40_tel8k"), MAX_CER, what="A40_tel8k, 10 s window")
    assert widths == [1000]
    message = Path(__file__).resolve().parents[1] / "audio_fixtures" / "contact"
    streetlight, rate = read_audio(message / "message_streetlight_tel8k.wav")
    long = np.concatenate([clip_16k("A22_tel8k"), resample(streetlight, rate, 16000)])
    assert 15 < len(long) / 16000 < 29  # a 20 s message, as a caller leaves one
    text = transcribe(whisper_engine.new_recognizer(), long, chunk=4000)
    assert abs(widths[1] - (len(long) // 160 + 50)) <= 1  # its 10 ms frames, then 0.5 s
    said = reference("A22_tel8k") + (message / "message_streetlight_tel8k.txt").read_text("utf-8")
    assert_transcript_close(text, said, MAX_CER, what="a 20 s message")


def test_whisper_s_own_30_s_window_is_a_setting(
        whisper_engine: WhisperEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    widths = _encoded_widths(monkeypatch)
    full = load_engine("whisper", model_dir=whisper_engine.model_dir, window_s=30)
    assert isinstance(full, WhisperEngine) and full is not whisper_engine
    text = transcribe(full.new_recognizer(), clip_16k("A40_tel8k"), chunk=4000)
    assert_transcript_close(text, reference("A40_tel8k"), MAX_CER, what="A40_tel8k, 30 s")
    assert widths == [3000]
    with pytest.raises(ValueError, match=r"window 0\.5 s"):
        WhisperEngine(whisper_engine.model_dir, window_s=0.5)


def test_threads_per_decode_and_the_temperature_fallback_are_settings(
        whisper_engine: WhisperEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """One CTranslate2 thread per decode by default (decodes run side by side; two threads
    made each decode slower on 2 cores, docs/benchmarks.md); the fallback is on by default
    and off decodes once at temperature 0, hearing the same."""
    from asr.whisper_engine import FALLBACK_TEMPERATURES

    assert whisper_engine.cpu_threads == 1 and whisper_engine.fallback
    tuned = load_engine("whisper", model_dir=whisper_engine.model_dir, cpu_threads=2,
                        fallback=False)
    assert isinstance(tuned, WhisperEngine) and tuned is not whisper_engine
    assert tuned.cpu_threads == 2 and not tuned.fallback
    temperatures: list[object] = []
    for engine in (whisper_engine, tuned):
        real = engine.model.transcribe

        def spy(audio: np.ndarray, real=real, **kwargs: object) -> object:  # type: ignore[no-untyped-def]
            temperatures.append(kwargs["temperature"])
            return real(audio, **kwargs)

        monkeypatch.setattr(engine.model, "transcribe", spy)
        text = transcribe(engine.new_recognizer(), clip_16k("A40_tel8k"), chunk=4000)
        assert_transcript_close(text, reference("A40_tel8k"), MAX_CER, what="A40_tel8k")
    assert temperatures == [FALLBACK_TEMPERATURES, 0.0]


def test_a_transcript_carries_the_beam_s_other_readings(whisper_engine: WhisperEngine) -> None:
    """Five readings by default: the beam's runners-up come as `alternatives` (the call tries
    them when the best means nothing), each different from the others once punctuation is
    dropped and close to the words; the best reading is the one a single reading gives
    (the same audio decoded in one process)."""
    assert whisper_engine.readings == 5
    samples = clip_16k("A07_tel8k")
    heard = whisper_engine.new_recognizer().decode_utterance(samples)
    assert 1 <= len(heard.alternatives) <= 4
    keys = [scoring_text(t) for t in (heard.text, *heard.alternatives)]
    assert len(set(keys)) == len(keys)
    for text in heard.alternatives:
        assert text == to_simplified(text)
        assert_transcript_close(text, reference("A07_tel8k"), 0.5, what="A07_tel8k runner-up")
    single = load_engine("whisper", model_dir=whisper_engine.model_dir, readings=1)
    assert isinstance(single, WhisperEngine) and single is not whisper_engine
    alone = single.new_recognizer().decode_utterance(samples)
    assert alone.alternatives == ()
    assert (alone.text, alone.confidence) == (heard.text, heard.confidence)
