"""Test harness shared by the tests and `benchmarks/reliability.py`, kept out of the installed
package because no user imports it: `hostile_files` (model folders, configs and tables that
attack the loaders, pickle payloads included), `fault_injection` (`aekit train` killed and
resumed in child processes) and `input_checks` (hypothesis strategies of hostile X)."""
