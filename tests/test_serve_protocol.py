"""`alphago serve`'s message protocol (alphago/play/web/protocol.py): every intent a page may send is parsed
to its dataclass, and every malformed frame is refused with the reason the page shows. No engine, no server."""
import pytest

from alphago.play.web.protocol import (Analyse, Goto, Limits, LoadSgf, NewGame, Play, ProtocolError, Simple,
                                       parse_intent)

LIMITS = Limits(max_sims=64, max_seconds=5.0, max_message_bytes=4096)


# ---------------------------------------------------------------- protocol
@pytest.mark.parametrize("frame, intent", [
    ('{"type": "play", "vertex": "C3"}', Play("C3")),
    ('{"type": "pass"}', Simple("pass")),
    ('{"type": "undo"}', Simple("undo")),
    ('{"type": "resign"}', Simple("resign")),
    ('{"type": "resume"}', Simple("resume")),
    ('{"type": "save_sgf"}', Simple("save_sgf")),
    ('{"type": "goto", "position": 3}', Goto(3)),
    ('{"type": "analyse", "on": true}', Analyse(True)),
    ('{"type": "load_sgf", "sgf": "(;SZ[5])"}', LoadSgf("(;SZ[5])")),
    ('{"type": "new"}', NewGame()),
    ('{"type": "new", "engine": "5x5", "color": "white", "komi": 0.5, "handicap": 2, "sims": 64}',
     NewGame("5x5", "white", 0.5, 2, 64, None)),
    ('{"type": "new", "seconds": 0.5, "sims": null}', NewGame(seconds=0.5)),
])
def test_protocol_accepts_each_intent(frame, intent):
    assert parse_intent(frame, LIMITS) == intent
    assert parse_intent(frame.encode(), LIMITS) == intent


@pytest.mark.parametrize("frame, words", [
    ("{not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    ("[1, 2]", "JSON object"),
    ('"play"', "JSON object"),
    ('{"vertex": "C3"}', "unknown message type None"),
    ('{"type": "genmove"}', "unknown message type 'genmove'"),
    ('{"type": 7}', "unknown message type 7"),
    ('{"type": "play"}', "needs a vertex"),
    ('{"type": "play", "vertex": 3}', "vertex must be a string"),
    ('{"type": "play", "vertex": "C3", "color": "white"}', "unknown field(s) color"),
    ('{"type": "pass", "now": 1}', "unknown field(s) now"),
    ('{"type": "goto", "position": -1}', "between 0 and"),
    ('{"type": "goto", "position": 1.5}', "whole number"),
    ('{"type": "analyse", "on": 1}', "true or false"),
    ('{"type": "new", "sims": 65}', "sims must be between 1 and 64"),
    ('{"type": "new", "sims": 0}', "sims must be between 1 and 64"),
    ('{"type": "new", "sims": true}', "sims must be a whole number"),
    ('{"type": "new", "sims": "64"}', "sims must be a whole number"),
    ('{"type": "new", "seconds": 60}', "seconds must be between"),
    ('{"type": "new", "sims": 8, "seconds": 1}', "not both"),
    ('{"type": "new", "komi": NaN}', "komi must be a number"),
    ('{"type": "new", "komi": 1e9}', "komi must be between"),
    ('{"type": "new", "color": "red"}', "color must be"),
    ('{"type": "new", "handicap": 10}', "handicap must be between 0 and 9"),
    ('{"type": "load_sgf", "sgf": ""}', "needs the SGF"),
    ('{"type": "play", "vertex": "' + "C" * 5000 + '"}', "message too large"),
])
def test_protocol_refuses_bad_frames_with_a_reason(frame, words):
    with pytest.raises(ProtocolError, match=None) as info:
        parse_intent(frame, LIMITS)
    assert words in str(info.value)
