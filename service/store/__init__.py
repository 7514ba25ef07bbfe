"""Storage: the Store interface and its backends (embedded Oxigraph, on disk in generations, an external
SPARQL endpoint), loading and bulk loading, query execution in killable workers, and the query safety walls."""
