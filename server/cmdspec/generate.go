package cmdspec

//go:generate go run ./internal/gen -out commands.json
