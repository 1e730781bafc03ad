from shapelint.frontends.cli import run

run()
