module github.com/sandgate/sandgate/bench/go

go 1.21

require github.com/sandgate/sandgate/bindings/go v0.0.0

replace github.com/sandgate/sandgate/bindings/go => ../../bindings/go
