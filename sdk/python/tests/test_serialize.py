import dataclasses
import datetime
import enum
import json
import math
import unittest
import uuid

from trackly import Limits, to_jsonable


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class SerializeTest(unittest.TestCase):
    def test_values_are_converted_to_json_safe_forms(self):
        when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        cases = [
            ("text", "text"),
            (3, 3),
            (None, None),
            (float("nan"), "nan"),
            (math.inf, "inf"),
            ((1, 2), [1, 2]),
            ({1: "a"}, {"1": "a"}),
            (Color.RED, "red"),
            (Point(1, 2), {"x": 1, "y": 2}),
            (when, "2026-01-02T03:04:05+00:00"),
            (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
            (b"abc", "abc"),
            (b"\xff", "base64:/w=="),
            (ValueError("bad"), {"type": "ValueError", "message": "bad"}),
        ]
        for value, want in cases:
            with self.subTest(value=repr(value)):
                got = to_jsonable(value)
                self.assertEqual(got, want)
                json.dumps(got, allow_nan=False)

    def test_cycles_become_markers(self):
        a = [1]
        a.append(a)
        self.assertEqual(to_jsonable(a), [1, "<cycle>"])

    def test_generators_are_not_consumed(self):
        consumed = []

        def gen():
            consumed.append(1)
            yield 1

        out = to_jsonable(gen())
        self.assertIsInstance(out, str)
        self.assertEqual(consumed, [])

    def test_limits_cap_strings_items_depth_and_nodes(self):
        limits = Limits(max_depth=3, max_items=2, max_string_chars=5, max_nodes=50)
        self.assertEqual(to_jsonable("abcdefgh", limits), "abcde…[3 chars truncated]")
        self.assertEqual(to_jsonable([1, 2, 3, 4], limits), [1, 2, "<2 more>"])
        self.assertEqual(to_jsonable([[[[1]]]], limits), [[["<max depth>"]]])
        big = [[i] for i in range(10)]
        self.assertIn("<truncated>", json.dumps(to_jsonable(big, Limits(max_nodes=5))))

    def test_objects_use_public_attributes_or_a_placeholder(self):
        class Thing:
            def __init__(self):
                self.name, self._secret = "n", "s"

        class Broken:
            __slots__ = ()

            def __repr__(self):
                raise RuntimeError

        self.assertEqual(to_jsonable(Thing()), {"name": "n"})
        self.assertTrue(to_jsonable(Broken()).startswith("<unserializable"))

    def test_model_dump_is_used_when_present(self):
        class Model:
            def model_dump(self):
                return {"a": 1}

        self.assertEqual(to_jsonable(Model()), {"a": 1})


if __name__ == "__main__":
    unittest.main()
