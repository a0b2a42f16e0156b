package batch
import ("testing";"context";"io";"time";"github.com/leadscore/leadscore/quality";"github.com/leadscore/leadscore/modelfile";"github.com/leadscore/leadscore/scoring")
func TestZZProf(t *testing.T){
 c:=quality.NewChecker()
 res,_:=modelfile.Load("testdata/model.yaml"); set,err:=res.Compile(scoring.Options{Checker:c}); if err!=nil{t.Fatal(err)}
 st,err:=Run(context.Background(),Config{Set:set,Checker:c,Leads:"/tmp/mid/leads.csv",Events:[]string{"/tmp/mid/events.jsonl"},AsOf:time.Date(2026,11,1,0,0,0,0,time.UTC)},io.Discard)
 t.Log(st,err)
}
