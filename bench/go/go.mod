module tcp-echo-bench

go 1.22
