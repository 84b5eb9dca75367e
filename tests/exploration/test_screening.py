"""The screening rule on hand-made results: which configs are candidates, what a training decides, the order."""

from ercc.exploration import screening


def result(ks, score, fps, nbytes, dsp, bits=16, act=16, over=()):
    """A screened or trained config: block sizes of W and R of one layer, its score and estimate."""
    return {"label": f"K={ks[0]}:{ks[1]} w{bits}", "score": score, "value": score,
            "config": {"block_sizes": {"L/W": ks[0], "L/R": ks[1]}, "weight_bits": bits, "act_bits": act,
                       "dsp_fraction": 0.9, "dense": ks == (1, 1)},
            "estimate": {"throughput_fps": fps, "weight_bytes": nbytes, "dsp": dsp, "over_device": list(over)}}


def test_a_low_screen_score_alone_does_not_discard_a_config():
    dense = result((1, 1), 0.98, 100, 1000, 50)
    k16 = result((16, 16), 0.20, 400, 60, 20)  # the short ADMM lost 78 points; a full one may win them back
    kept = screening.candidates([dense, k16], "accuracy", 0.98, 0.01)
    assert [r["label"] for r in kept] == ["K=16:16 w16", "K=1:1 w16"]


def test_a_config_beaten_on_hardware_and_beyond_the_margin_on_the_screen_is_discarded():
    k4 = result((4, 4), 0.60, 200, 250, 30)
    k8 = result((8, 8), 0.66, 300, 125, 25)  # better hardware, screens 6 points better: beyond 5 x 0.01
    k8_close = result((8, 8), 0.64, 300, 125, 25)  # 4 points better: within the screen's noise
    assert [r["label"] for r in screening.candidates([k4, k8], "accuracy", 0.98, 0.01)] == ["K=8:8 w16"]
    assert len(screening.candidates([k4, k8_close], "accuracy", 0.98, 0.01)) == 2


def test_configs_over_the_device_are_not_candidates_and_a_loss_margin_is_relative():
    over = result((1, 1), -1.0, 100, 1000, 5000, over=("dsp",))
    assert screening.candidates([over], "accuracy", 0.98, 0.01) == []
    assert screening.margin("loss", 2.0, 0.01) == 5.0 * 0.01 * 2.0


def test_a_trained_config_decides_the_ones_it_dominates_or_that_are_at_least_as_compressed():
    def accurate(r):
        return screening.meets(r["value"], "accuracy", 0.98, 0.01)

    def clear_miss(r):
        return screening.clearly_misses(r["value"], "accuracy", 0.98, 0.01)

    k4_ok = result((4, 4), 0.975, 200, 250, 30)
    k8_miss = result((8, 8), 0.90, 300, 125, 25)
    trained = [k4_ok, k8_miss]

    def skip(c, among=trained):
        return screening.skip_reason(c, among, accurate, clear_miss)

    assert skip(result((2, 4), 0.5, 150, 400, 35)) == screening.SKIP_DOMINATED
    assert skip(result((8, 16), 0.5, 350, 90, 24)) == screening.SKIP_PREDICTED
    # fewer bits at the same block sizes as the miss: predicted to miss too; more bits: still open
    assert skip(result((8, 8), 0.5, 300, 63, 25, bits=8)) == screening.SKIP_PREDICTED
    assert skip(result((16, 4), 0.5, 250, 150, 26)) is None
    # a near miss (0.965: within another point of the limit 0.97) settles nothing
    near = result((8, 8), 0.965, 300, 125, 25)
    assert skip(result((8, 16), 0.5, 350, 90, 24), [k4_ok, near]) is None


def test_dense_configs_come_first_then_the_median_compression_with_the_best_merit():
    configs = [result(ks, 0.5, fps, 100, 10) for ks, fps in
               [((1, 1), 100), ((1, 4), 150), ((4, 4), 200), ((4, 2), 210), ((16, 16), 400)]]

    def key(r):
        return r["label"]

    assert screening.next_assignments(configs, key, 2) == ["K=1:1 w16"]
    rest = configs[1:]  # levels 2, 4, 3, 8: the median (low) is 3, then 2 and 4 tie at distance 1
    assert screening.next_assignments(rest, key, 1) == ["K=4:2 w16"]
    assert screening.next_assignments(rest, key, 3) == ["K=4:2 w16", "K=4:4 w16", "K=1:4 w16"]
