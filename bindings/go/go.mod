module github.com/sandgate/sandgate/bindings/go

go 1.21
