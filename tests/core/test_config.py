"""The configuration object: validation messages, derived numbers, JSON and TOML round trips."""

import dataclasses
from pathlib import Path

import pytest

from core.config import DEFAULT, EpurConfig, load_config
from core.errors import InputError
from core.fixed import FixedFormat


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_round_trip(tmp_path, suffix):
    cfg = dataclasses.replace(DEFAULT, cell="gru", layers=2, lanes=4, theta=0.5, reuse_cap=3,
                              mode="absolute")
    path = tmp_path / f"c{suffix}"
    cfg.save(path)
    assert load_config(path) == cfg


def test_partial_format_table_keeps_other_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("hidden_size = 20\n[data_format]\nfrac = 10\n")
    cfg = load_config(path)
    assert cfg.hidden_size == 20 and cfg.data_format.frac == 10 and cfg.data_format.width == 16


def test_derived_numbers_of_the_default():
    c = DEFAULT
    assert c.gates == 4 and c.row_length(0) == 76
    assert c.dpu_cycles(0) == 10 and c.bnn_cycles(0) == 2    # B * Kb = N * Kd = 80
    assert c.acc_frac == 23
    assert c.yb_width == 8                       # yb in [-76, 76]
    assert c.theta_int == 96                     # 0.375 in UQ8.8
    assert c.weight_address(1, 0, 3, 63, 0) == (1 << 16) | (3 << 13) | (63 << 7)


@pytest.mark.parametrize("kw, msg", [
    ({"cell": "rnn"}, "cell must be one of lstm, gru, not 'rnn'"),
    ({"hidden_size": 0}, "hidden_size must be in 1..4096, not 0$"),
    ({"lanes": 2.5}, "lanes must be an integer, not 2.5"),
    ({"predictor": "lru"}, "predictor must be one of none, bnn, mbnn, oracle, delta"),
    ({"mode": "ratio"}, "mode must be one of relative, absolute"),
    ({"theta": -0.1}, "theta must be a finite number >= 0"),
    ({"theta": 300.0}, "exceeds the theta register's range"),
    ({"name": "my accel"}, "name must be a Verilog-safe identifier"),
    ({"lut_frac": 12}, r"lut_frac \(12\) cannot exceed the data format's fraction bits \(11\)"),
    ({"lut_int": 5}, "does not fit the data format"),
    ({"reuse_cap": -1}, "reuse_cap must be in 0..65536, not -1"),
])
def test_validation_messages(kw, msg):
    with pytest.raises(ValueError, match=msg):
        dataclasses.replace(DEFAULT, **kw)


@pytest.mark.parametrize("kw, msg", [
    # Amaranth asserted after 12 s at H = 4096; B = 1024 generated in 142 s
    ({"hidden_size": 4096}, r"hardware hidden_size must be in 1..384, not 4096 \(generating the "
                            r"Verilog takes time growing with its square: 81 s at 512"),
    ({"bnn_bits": 1024}, r"hardware bnn_bits must be in 1..256, not 1024 \(generating"),
    ({"input_size": 4096}, "4160 data words of 16 bits .* more than the 65535 bits Amaranth"),
    ({"layers": 8, "hidden_size": 384, "data_format": FixedFormat(24, 11)},
     "3072 data words of 24 bits"),
])
def test_generator_limits(kw, msg):
    """The generator's limits refuse hardware only: the golden model runs such networks."""
    cfg = dataclasses.replace(DEFAULT, **kw)
    with pytest.raises(InputError, match=msg):
        cfg.require_hardware()


@pytest.mark.parametrize("text, msg", [
    ("{", "is malformed"),
    ('{"lanes": 4, "bogus": 1}', "unknown config key 'bogus'"),
    ('{"data_format": {"width": 16, "frac": 16}}', "data_format: fixed-point fraction bits"),
    ('{"data_format": {"widht": 16}}', "unknown key 'widht' in data_format"),
    # "false" is truthy: before, it passed as a signed theta format and hardware was generated
    ('{"theta_format": {"signed": "false"}}', "theta_format: signed must be true or false"),
    ('{"weight_format": {"saturate": 1}}', "weight_format: saturate must be true or false"),
])
def test_bad_files(tmp_path, text, msg):
    path = tmp_path / "c.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=msg):
        load_config(path)


def test_missing_file():
    with pytest.raises(ValueError, match="config file not found"):
        load_config("/nonexistent/c.toml")


def test_default_is_the_documented_default():
    assert EpurConfig() == DEFAULT


def test_overrides_are_validated_and_none_keeps_the_config():
    assert DEFAULT.with_overrides() is DEFAULT
    assert DEFAULT.with_overrides(None, None, None) is DEFAULT
    c = DEFAULT.with_overrides(predictor="oracle", theta=0.5, mode="absolute")
    assert (c.predictor, c.theta, c.mode) == ("oracle", 0.5, "absolute")
    with pytest.raises(ValueError, match="predictor must be one of"):
        DEFAULT.with_overrides(predictor="magic")
    with pytest.raises(ValueError, match="exceeds the theta register's range"):
        DEFAULT.with_overrides(theta=DEFAULT.theta_max + 1)


def test_theta_max_is_what_the_register_holds():
    assert DEFAULT.theta_max == (2 ** 16 - 1) / 2 ** 8
    assert DEFAULT.with_overrides(theta=DEFAULT.theta_max).theta_int == 2 ** 16 - 1


@pytest.mark.parametrize("predictor", ["oracle"])
def test_software_predictors_have_no_hardware(predictor):
    with pytest.raises(InputError, match=f"predictor '{predictor}' is software-only"):
        DEFAULT.with_overrides(predictor=predictor).require_hardware()
    assert DEFAULT.require_hardware() is DEFAULT


def test_builds_pair_baseline_and_memo():
    builds = DEFAULT.with_overrides(predictor="none").builds()
    assert builds["baseline"].predictor == "none" and not builds["baseline"].memo
    assert builds["memo"].predictor == "bnn" and builds["memo"].memo
    assert dataclasses.replace(builds["memo"], predictor="none") == builds["baseline"]


def test_gate_functions_follow_pytorch_gate_order():
    """LSTM i f g o: g is the tanh candidate; GRU r z n: n is the pair the cell unit combines."""
    lstm = [DEFAULT.gate_function(g) for g in range(4)]
    gru = dataclasses.replace(DEFAULT, cell="gru")
    assert lstm == ["sigmoid", "sigmoid", "tanh", "sigmoid"]
    assert [gru.gate_function(g) for g in range(3)] == ["sigmoid", "sigmoid", "pair"]


def test_precision_keys_are_checked_only_where_they_matter():
    """The low data word is checked against the data format in precision builds only: a static
    config with few fraction bits (tests/synth/ice40_small.toml's) keeps validating."""
    narrow = FixedFormat(width=8, frac=4)
    assert EpurConfig(data_format=narrow, lut_frac=4, lut_int=2).low_data_frac == 6
    with pytest.raises(ValueError, match=r"low_data_frac must be in 0\.\.4 .* for precision "
                                         r"dynamic, not 6"):
        EpurConfig(data_format=narrow, lut_frac=4, lut_int=2, precision="dynamic")
    with pytest.raises(ValueError, match="precision must be one of static, dynamic, low"):
        EpurConfig(precision="high")
    with pytest.raises(ValueError, match="does not compose with predictor delta"):
        EpurConfig(predictor="delta", precision="dynamic")
    with pytest.raises(ValueError, match="needs weights wider than the 8-bit low precision"):
        EpurConfig(weight_format=FixedFormat(width=8, frac=4), precision="low")
    small = Path(__file__).resolve().parents[1] / "synth" / "ice40_small.toml"
    assert load_config(small).precision == "static"


def test_precision_hardware_needs_two_low_words_a_lane():
    """The precision build packs two 8-bit low words in a weight or data word: the golden model
    takes narrower formats, generate refuses them up front (not in the generator)."""
    narrow = dataclasses.replace(DEFAULT, precision="dynamic", low_data_frac=4,
                                 data_format=FixedFormat(width=12, frac=8), lut_frac=7)
    with pytest.raises(InputError, match=r"precision dynamic hardware needs a data format of "
                                         r"at least 16 bits .*, not Q4\.8"):
        narrow.require_hardware()
    assert dataclasses.replace(narrow, precision="static").require_hardware()
