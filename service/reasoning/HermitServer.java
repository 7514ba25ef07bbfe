import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;

import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.reasoner.InconsistentOntologyException;

/** HermiT kept warm: reads one N-Triples file name a line, answers "consistent", "inconsistent" or "error ...". */
public class HermitServer {
    public static void main(String[] arguments) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        String line;
        while ((line = in.readLine()) != null) {
            String answer;
            try {
                OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
                OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(line));
                Reasoner reasoner = new Reasoner(new Configuration(), ontology);
                answer = reasoner.isConsistent() ? "consistent" : "inconsistent";
                reasoner.dispose();
            } catch (InconsistentOntologyException inconsistent) {
                answer = "inconsistent";
            } catch (Throwable failure) {
                answer = "error " + failure.toString().replace('\n', ' ');
            }
            System.out.println(answer);
            System.out.flush();
        }
    }
}
