#!/usr/bin/env python3
"""Converts an NUnit 2.6 TestResult.xml into JUnit XML (one <testcase> per NUnit test case).

usage: nunit2junit.py TestResult.xml out.xml

A failed or errored test keeps its message and stack trace in <failure>/<error>; a test that
was not run (ignored, skipped, not runnable) or is inconclusive becomes <skipped>, which the
sandgate runner counts as a failure. Prints "N passed, N failed" and exits 1 when any test did
not pass or when the file holds no test at all.
"""
import sys
import xml.etree.ElementTree as ET


def cases(node, classname):
    """Yields (classname, name, test-case element) for every test-case under node."""
    for child in node:
        if child.tag == "results":
            yield from cases(child, classname)
        elif child.tag == "test-suite":
            kind = child.get("type")
            name = child.get("name", "")
            if kind in ("Namespace", "TestFixture", "SetUpFixture"):
                yield from cases(child, name if not classname else classname + "." + name)
            else:  # Assembly, ParameterizedTest, ...: no part of the class name
                yield from cases(child, classname)
        elif child.tag == "test-case":
            full = child.get("name", "?")
            prefix = classname + "."
            name = full[len(prefix):] if classname and full.startswith(prefix) else full
            yield classname, name, child


def text(el, path):
    found = el.find(path)
    return (found.text or "").strip() if found is not None else ""


def main():
    src, dst = sys.argv[1], sys.argv[2]
    root = ET.parse(src).getroot()
    suite = ET.Element("testsuite", name="sandgate_csharp")
    passed = failed = 0
    for classname, name, tc in cases(root, ""):
        out = ET.SubElement(suite, "testcase", classname=classname, name=name, time=tc.get("time", "0"))
        result = tc.get("result", "")
        if tc.get("executed") == "True" and result == "Success":
            passed += 1
            continue
        failed += 1
        message = text(tc, "./failure/message") or text(tc, "./reason/message") or result
        detail = message + "\n" + text(tc, "./failure/stack-trace")
        if tc.get("executed") != "True" or result == "Inconclusive":
            ET.SubElement(out, "skipped", message="%s: %s" % (result, message))
        elif result == "Error":
            ET.SubElement(out, "error", message=message).text = detail
        else:
            ET.SubElement(out, "failure", message=message).text = detail
    suite.set("tests", str(passed + failed))
    suite.set("failures", str(failed))
    ET.ElementTree(suite).write(dst, encoding="utf-8", xml_declaration=True)
    print("csharp: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
