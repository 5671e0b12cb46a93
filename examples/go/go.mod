module github.com/JanssenProject/jans-rs/examples/go

go 1.19

require github.com/JanssenProject/jans-rs/jans-ffi/go v0.0.0

replace github.com/JanssenProject/jans-rs/jans-ffi/go => ../../jans-ffi/go
