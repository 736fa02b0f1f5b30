"""The benchmark's verdicts on the performance issue's targets (bench/targets.py): as written, and
scaled to the host by the ceiling measured beside a scenario."""
from bench import targets


def result(scenario: str, rps: float, p99_ms: float = 20.0, ceiling_rps: float | None = 1400.0,
           ceiling: str = "one-row read") -> dict:
    return {"scenario": scenario, "rps": rps, "p99_ms": p99_ms, "ceiling_rps": ceiling_rps, "ceiling": ceiling}


def test_a_target_as_written_is_met_at_its_figure_and_not_below():
    assert targets.judged(result("api patients page_size=100", 450.0))["met"] is True
    assert targets.judged(result("api patients page_size=100", 449.9))["met"] is False


def test_a_scaled_target_is_the_issues_target_times_the_ratio_of_the_ceilings():
    # the issue's one-row read ceiling was 2,400-2,800 req/s; here it measured 1,400 beside the list
    verdict = targets.judged(result("api patients page_size=100", 240.0))
    assert verdict["scaled_rps"] == (225.0, 262.5)
    assert verdict["met_scaled"] == targets.PARTLY
    assert targets.judged(result("api patients page_size=100", 262.5))["met_scaled"] == targets.YES
    assert targets.judged(result("api patients page_size=100", 224.0))["met_scaled"] == targets.NO


def test_a_write_is_scaled_by_the_read_and_write_ceiling():
    verdict = targets.judged(result("api assessment detail", 400.0, ceiling_rps=575.0,
                                    ceiling="read + INSERT + COMMIT"))
    assert verdict["scaled_rps"] == (475.0, 475.0)
    assert (verdict["met"], verdict["met_scaled"]) == (False, targets.NO)


def test_a_list_slower_than_its_p99_misses_both_verdicts_however_many_requests_it_serves():
    verdict = targets.judged(result("api assessments filtered", 900.0, p99_ms=50.1))
    assert (verdict["met"], verdict["met_scaled"]) == (False, targets.NO)
    assert targets.judged(result("api assessments filtered", 900.0, p99_ms=50.0))["met"] is True


def test_without_a_ceiling_beside_it_a_scenario_is_judged_only_as_written():
    verdict = targets.judged(result("api login", 55.0, ceiling_rps=None))
    assert (verdict["met"], verdict["scaled_rps"], verdict["met_scaled"]) == (True, None, None)


def test_the_table_gives_each_scenario_its_verdicts_and_the_memory_budget_its_own():
    results = [result("api patients page_size=100", 240.0), result("api patient detail", 300.0, ceiling_rps=None),
               result("constant body", 2000.0)]
    for each in results:
        each["target"] = targets.judged(each)
    lines = targets.table(results, peak_rss_mb=151).splitlines()
    assert len(lines) == 4   # the header, the two scenarios with targets, the memory
    assert lines[1].endswith("partly") and "225-262 req/s" in lines[1] and " no " in lines[1]
    assert lines[2].endswith("-") and ">= 950 req/s" in lines[2]
    assert lines[3].startswith("worker peak RSS") and lines[3].endswith("no")
