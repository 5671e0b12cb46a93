module github.com/JanssenProject/jans-rs/jans-ffi/go

go 1.19
