module tcp-echo.local/pause

go 1.24
