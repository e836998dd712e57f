"""rlsafe.compiled.jit.collector_paused: the garbage collector off while loops compile, and back
as it was found, with nesting and threads."""

import gc
import threading

from rlsafe.compiled.jit import collector_paused


def test_off_inside_and_on_again_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the outer block is still open"
    assert gc.isenabled()


def test_a_collector_found_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_on_again_only_when_the_last_thread_leaves():
    inside, leave = threading.Event(), threading.Event()

    def other():
        with collector_paused():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled(), "the other thread's block is still open"
    leave.set()
    thread.join(10)
    assert gc.isenabled()


def test_on_again_after_an_error():
    try:
        with collector_paused():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.isenabled()
