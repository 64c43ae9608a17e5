package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/thingplus/thingplus-webapp/trains"
)

// TrainsReader reads the trains for the domain gauges (*trains.Store).
type TrainsReader interface {
	Trains(ctx context.Context) ([]trains.Train, error)
}

// perTrain is a TrainsReader that knows each train's crowd levels.
type perTrain interface {
	ThresholdsOf(trainID int64) trains.Thresholds
}

// trainsCollector computes the domain gauges at scrape time from the
// database, so they are never stale and no code has to keep them updated.
type trainsCollector struct {
	r       TrainsReader
	levels  trains.Thresholds
	cars    *prometheus.Desc
	doors   *prometheus.Desc
	scrapes *prometheus.Desc
}

// WatchTrains registers the trains gauges: cars per crowd level per train,
// and doors flagged inverted (their IN and OUT are swapped: worth a look
// when counts drift) per train. Labels are train ids, which the operator
// creates: bounded by the fleet.
func (m *Metrics) WatchTrains(r TrainsReader, t trains.Thresholds) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(&trainsCollector{r: r, levels: t,
		cars: prometheus.NewDesc(ns+"_train_cars", "Cars of a train at each crowd level.",
			[]string{"train_id", "level"}, nil),
		doors: prometheus.NewDesc(ns+"_train_doors_flagged", "Doors of a train flagged inverted (IN and OUT swapped).",
			[]string{"train_id"}, nil),
		scrapes: prometheus.NewDesc(ns+"_trains_scrape_ok", "1 when the trains gauges could be read from the database.",
			nil, nil),
	})
}

func (c *trainsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.cars
	ch <- c.doors
	ch <- c.scrapes
}

func (c *trainsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ts, err := c.r.Trains(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.scrapes, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.scrapes, prometheus.GaugeValue, 1)
	levels := []trains.Level{trains.Spacious, trains.Normal, trains.Caution, trains.Crowded}
	for _, t := range ts {
		id := strconv.FormatInt(t.ID, 10)
		count := map[trains.Level]int{}
		flagged := 0
		th := c.levels
		if pt, ok := c.r.(perTrain); ok { // the train's own crowd levels
			th = pt.ThresholdsOf(t.ID)
		}
		for _, car := range t.Cars {
			count[th.Level(car.Count, car.Capacity)]++
			for _, d := range car.Doors {
				if d.Inverted {
					flagged++
				}
			}
		}
		for _, l := range levels {
			ch <- prometheus.MustNewConstMetric(c.cars, prometheus.GaugeValue, float64(count[l]), id, string(l))
		}
		ch <- prometheus.MustNewConstMetric(c.doors, prometheus.GaugeValue, float64(flagged), id)
	}
}
