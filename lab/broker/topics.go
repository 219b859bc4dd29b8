package broker

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Topic is a topic to create and its partition count.
type Topic struct {
	Name       string
	Partitions int
}

// ReadTopics reads a topics file: one "NAME PARTITIONS" per line, blank
// lines and lines starting with # skipped. deploy/kafka/topics is the one
// docker compose's kafka-init and the cluster mode's broker both read.
func ReadTopics(path string) ([]Topic, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("topics file: %w", err)
	}
	defer f.Close()
	topics, err := ParseTopics(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return topics, nil
}

// ParseTopics parses the text of a topics file (see ReadTopics).
func ParseTopics(r io.Reader) ([]Topic, error) {
	var topics []Topic
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want NAME PARTITIONS, got %q", n, line)
		}
		p, err := strconv.Atoi(fields[1])
		if err != nil || p < 1 {
			return nil, fmt.Errorf("line %d: partitions of %s must be a whole number from 1, got %q", n, fields[0], fields[1])
		}
		topics = append(topics, Topic{Name: fields[0], Partitions: p})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(topics) == 0 {
		return nil, fmt.Errorf("no topics")
	}
	return topics, nil
}
